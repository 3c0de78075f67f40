// Reading an OCI image layout the way a registry or runtime would, written
// independently of hack/image.py (the code under test): index.json names one
// manifest, every blob matches its descriptor's size and SHA-256, and each
// layer's uncompressed SHA-256 matches the config's diff_ids. Header-only
// because the e2e tier compiles only *_test.cc files.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace sttest::e2e {

using Json = nlohmann::json;

struct OciImage {
  Json index;
  Json manifestDescriptor;  // index.json's entry
  Json manifest;
  Json config;
  std::vector<std::string> layerFiles;  // blob paths, bottom layer first
};

inline std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "sha256:<hex>" of the file, or "" when sha256sum fails. With `gunzip`, of
// its gzip-decompressed content.
inline std::string sha256Of(const std::string& path, bool gunzip = false) {
  ProcessResult r = gunzip ? runProcess({"sh", "-c", "gzip -dc <\"$1\" | sha256sum", "sh", path})
                           : runProcess({"sha256sum", path});
  if (r.exitCode != 0 || r.out.size() < 64) return {};
  return "sha256:" + r.out.substr(0, 64);
}

// Verifies that `descriptor` names a blob of `layout` with its size and
// digest; sets `path`. Returns "" or what is wrong.
inline std::string checkBlob(const std::string& layout, const Json& descriptor, std::string& path) {
  const std::string digest = descriptor.value("digest", "");
  if (digest.rfind("sha256:", 0) != 0 || digest.size() != 71) return "bad digest '" + digest + "'";
  path = layout + "/blobs/sha256/" + digest.substr(7);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return "missing blob " + digest;
  if (!descriptor.contains("size") || descriptor["size"] != size) {
    return "blob " + digest + " has size " + std::to_string(size) + ", the descriptor says " +
           descriptor.value("size", Json()).dump();
  }
  if (sha256Of(path) != digest) return "blob " + digest + " does not match its digest";
  return {};
}

inline Json parseJsonFile(const std::string& path) {
  return Json::parse(readWholeFile(path), nullptr, /*allow_exceptions=*/false);
}

// Reads and verifies the layout at `layout`. Returns "" or what is wrong.
inline std::string readOciLayout(const std::string& layout, OciImage& image) {
  Json marker = parseJsonFile(layout + "/oci-layout");
  if (!marker.is_object() || marker.value("imageLayoutVersion", "") != "1.0.0") {
    return "oci-layout is missing or not version 1.0.0";
  }
  image.index = parseJsonFile(layout + "/index.json");
  if (!image.index.is_object() || image.index.value("schemaVersion", 0) != 2) {
    return "index.json is not an OCI index";
  }
  const Json manifests = image.index.value("manifests", Json::array());
  if (manifests.size() != 1)
    return "index.json names " + std::to_string(manifests.size()) + " manifests";
  image.manifestDescriptor = manifests[0];
  if (image.manifestDescriptor.value("mediaType", "") !=
      "application/vnd.oci.image.manifest.v1+json") {
    return "the index's entry is not an OCI image manifest";
  }
  std::string path;
  std::string err = checkBlob(layout, image.manifestDescriptor, path);
  if (!err.empty()) return "manifest: " + err;
  image.manifest = parseJsonFile(path);
  if (!image.manifest.is_object()) return "the manifest is not JSON";
  const Json configDescriptor = image.manifest.value("config", Json::object());
  if (configDescriptor.value("mediaType", "") != "application/vnd.oci.image.config.v1+json") {
    return "the manifest's config is not an OCI image config";
  }
  err = checkBlob(layout, configDescriptor, path);
  if (!err.empty()) return "config: " + err;
  image.config = parseJsonFile(path);
  if (!image.config.is_object()) return "the config is not JSON";
  const Json diffIds =
      image.config.value("rootfs", Json::object()).value("diff_ids", Json::array());
  const Json layers = image.manifest.value("layers", Json::array());
  if (layers.empty() || layers.size() != diffIds.size()) {
    return "the manifest has " + std::to_string(layers.size()) + " layers for " +
           std::to_string(diffIds.size()) + " diff_ids";
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].value("mediaType", "") != "application/vnd.oci.image.layer.v1.tar+gzip") {
      return "layer " + std::to_string(i) + " is not a gzip OCI layer";
    }
    err = checkBlob(layout, layers[i], path);
    if (!err.empty()) return "layer " + std::to_string(i) + ": " + err;
    if (sha256Of(path, /*gunzip=*/true) != diffIds[i]) {
      return "layer " + std::to_string(i) + " does not match its diff_id";
    }
    image.layerFiles.push_back(path);
  }
  return {};
}

// Extracts the layers, bottom first, into `rootfs` (an existing directory),
// keeping numeric owners and modes. Returns "" or what failed.
inline std::string unpackLayers(const OciImage& image, const std::string& rootfs) {
  for (const auto& layer : image.layerFiles) {
    ProcessResult r =
        runProcess({"tar", "--numeric-owner", "--same-owner", "-p", "-xzf", layer, "-C", rootfs});
    if (r.exitCode != 0) return "tar -x " + layer + ": " + r.err;
  }
  return {};
}

}  // namespace sttest::e2e
