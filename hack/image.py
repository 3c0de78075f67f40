#!/usr/bin/env python3
"""Builds the servicetoken-operator container image without a container engine.

    hack/image.py --binary build/bin/servicetoken-operator --out build/image

The image is written as an OCI image layout (OUT/oci/) and as the same layout
in one tar file, an oci-archive (OUT/servicetoken-operator-<tag>.oci.tar), plus
an SPDX 2.3 SBOM of its packages (OUT/sbom.spdx.json, also inside the image at
/usr/share/doc/servicetoken-operator/sbom.spdx.json). Push or load it with any
OCI tool, e.g. `skopeo copy oci-archive:OUT/<archive> docker://<registry>/...`.

What is in it, and nothing else:
  - the files of the Debian packages `hack/install-deps.sh list runtime` names
    (the shared libraries the binaries load; hack/check-runtime-deps.sh proves
    the list covers them), as installed on this machine, limited to /etc and
    the library directories: no documentation but each package's copyright,
    no iconv modules, no programs;
  - a CA bundle made from ca-certificates' Mozilla certificates;
  - /etc/passwd and /etc/group naming root and nonroot (65532), the user the
    image runs as; /etc/nsswitch.conf; /etc/os-release for scanners; an empty
    /tmp; /var/lib/dpkg/status.d/<package> stanzas, so scanners that read
    Debian package data find the packages (there is no dpkg to run them);
  - the stripped operator binary, /usr/local/bin/servicetoken-operator.
No shell, no package manager, no other executable.

Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the time of the
last commit), tar entries are sorted, owners are numeric, gzip carries no
name or time, and JSON is written with sorted keys. The same binary and the
same installed packages give the same image digest.

The image's name is the chart's default: charts/servicetoken-operator's
values.yaml image.repository and Chart.yaml appVersion as the tag.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "charts", "servicetoken-operator")
UID = 65532
OPERATOR_PATH = "usr/local/bin/servicetoken-operator"
SBOM_PATH = "usr/share/doc/servicetoken-operator/sbom.spdx.json"
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
# Package files kept: configuration and libraries. Everything else a runtime
# package ships (documentation, man pages, scripts such as
# update-ca-certificates, debugger helpers) stays out.
KEEP = re.compile(r"^(etc|usr/lib|usr/lib64)/")
DROP = re.compile(r"^usr/lib/[^/]+-linux-gnu[^/]*/gconv/")  # iconv modules: never loaded
# Debian 12 is merged-/usr: /lib, /lib64, /bin and /sbin are links into /usr.
MERGED = {"lib": "usr/lib", "lib64": "usr/lib64", "bin": "usr/bin", "sbin": "usr/sbin"}


def fail(message):
    sys.exit("image: " + message)


def log(message):
    print("image: " + message, file=sys.stderr)


def run(argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def canonical(path):
    """The path of a package file inside the merged-/usr image, without '/'."""
    rel = path.lstrip("/")
    head, _, tail = rel.partition("/")
    if head in MERGED:
        return MERGED[head] + ("/" + tail if tail else "")
    return rel


class Entry:
    """One tar entry: a regular file (data), a directory, or a symlink."""

    def __init__(self, path, kind, mode, data=b"", target="", uid=0, gid=0):
        self.path, self.kind, self.mode = path, kind, mode
        self.data, self.target, self.uid, self.gid = data, target, uid, gid


class Layer:
    """The entries of one layer, keyed by path; parents are implied."""

    def __init__(self):
        self.entries = {}

    def add(self, entry):
        old = self.entries.get(entry.path)
        if old is not None and (old.kind, old.data, old.target) != (entry.kind, entry.data, entry.target):
            fail("two different files for /" + entry.path)
        self.entries[entry.path] = entry

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        self.add(Entry(path, "file", mode, data=data, uid=uid, gid=gid))

    def symlink(self, path, target):
        self.add(Entry(path, "symlink", 0o777, target=target))

    def directory(self, path, mode=0o755, uid=0, gid=0):
        self.add(Entry(path, "dir", mode, uid=uid, gid=gid))

    def tar(self, epoch):
        """The uncompressed tar: sorted, parents first, fixed times and owners."""
        entries = dict(self.entries)
        for path in list(entries):
            parent = os.path.dirname(path)
            while parent and parent not in entries:
                entries[parent] = Entry(parent, "dir", 0o755)
                parent = os.path.dirname(parent)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(entries):
                e = entries[path]
                info = tarfile.TarInfo(path)
                info.mtime, info.uid, info.gid = epoch, e.uid, e.gid
                info.uname = info.gname = ""
                info.mode = e.mode
                if e.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif e.kind == "symlink":
                    info.type, info.linkname = tarfile.SYMTYPE, e.target
                    tar.addfile(info)
                else:
                    info.size = len(e.data)
                    tar.addfile(info, io.BytesIO(e.data))
        return buf.getvalue()


def read_host_file(path):
    with open(path, "rb") as f:
        return f.read()


def package_fields(package):
    fmt = "${Package}\t${Version}\t${Architecture}\t${Maintainer}\t${Source}\t${Homepage}\t${Status}"
    out = run(["dpkg-query", "-W", "-f=" + fmt + "\n", package]).splitlines()
    if len(out) != 1:
        fail(f"{package}: expected one installed package, dpkg-query lists {len(out)}")
    name, version, arch, maintainer, source, homepage, status = out[0].split("\t")
    if not status.endswith("installed"):
        fail(f"{package} is not installed (run hack/install-deps.sh runtime)")
    source_name, source_version = name, version
    if source:
        m = re.match(r"^(\S+)(?: \((.+)\))?$", source)
        source_name = m.group(1)
        source_version = m.group(2) or version
    return {"name": name, "version": version, "arch": arch, "maintainer": maintainer,
            "source": source_name, "source_version": source_version, "homepage": homepage}


def add_package(layer, package):
    """Adds the package's kept files; returns how many."""
    count = 0
    for line in run(["dpkg-query", "-L", package]).splitlines():
        if not line.startswith("/") or os.path.isdir(line):
            continue
        dest = canonical(line)
        if not KEEP.match(dest) or DROP.match(dest):
            continue
        st = os.lstat(line) if os.path.lexists(line) else None
        if st is None:
            fail(f"{line} of {package} is listed by dpkg but missing on this machine")
        if stat.S_ISLNK(st.st_mode):
            layer.symlink(dest, os.readlink(line))
        elif stat.S_ISREG(st.st_mode):
            layer.file(dest, read_host_file(line), 0o755 if st.st_mode & 0o111 else 0o644)
        else:
            fail(f"{line} of {package} is neither a file nor a symlink")
        count += 1
    copyright_file = f"/usr/share/doc/{package}/copyright"
    if os.path.isfile(copyright_file):
        layer.file(canonical(copyright_file), read_host_file(copyright_file))
    return count


def ca_bundle():
    """ca-certificates' Mozilla certificates, sorted, as update-ca-certificates joins them."""
    directory = "/usr/share/ca-certificates/mozilla"
    certs = sorted(n for n in os.listdir(directory) if n.endswith(".crt"))
    if not certs:
        fail(f"no certificates in {directory} (is ca-certificates installed?)")
    out = b""
    for name in certs:
        data = read_host_file(os.path.join(directory, name))
        out += data if data.endswith(b"\n") else data + b"\n"
    return out, len(certs)


def status_stanza(package):
    """The package's dpkg status stanza, for scanners (as distroless images carry),
    without its Conffiles list."""
    lines, in_conffiles = [], False
    for line in run(["dpkg-query", "-s", package]).splitlines():
        if line.startswith("Conffiles:"):
            in_conffiles = True
            continue
        if in_conffiles and line.startswith(" "):
            continue
        in_conffiles = False
        lines.append(line)
    return ("\n".join(lines) + "\n").encode()


def os_release():
    info = {}
    for line in read_host_file("/etc/os-release").decode().splitlines():
        key, _, value = line.partition("=")
        info[key] = value.strip('"')
    return info


def purl(pkg, distro):
    version = urllib.parse.quote(pkg["version"], safe="")
    return f"pkg:deb/debian/{pkg['name']}@{version}?arch={pkg['arch']}&distro={distro}"


def spdx_id(name):
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", name)


def sbom(packages, operator_sha256, version, created, distro):
    """SPDX 2.3: the operator, and every Debian package whose files the image holds."""
    operator_id = spdx_id("Package-servicetoken-operator")
    doc_packages = [{
        "SPDXID": operator_id,
        "name": "servicetoken-operator",
        "versionInfo": version,
        "supplier": "Organization: servicetoken.dev",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "checksums": [{"algorithm": "SHA256", "checksumValue": operator_sha256}],
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
        "comment": "/" + OPERATOR_PATH,
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": operator_id}]
    for pkg in packages:
        entry = {
            "SPDXID": spdx_id("Package-deb-" + pkg["name"]),
            "name": pkg["name"],
            "versionInfo": pkg["version"],
            "supplier": "Organization: " + pkg["maintainer"],
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "sourceInfo": f"built package from: {pkg['source']} {pkg['source_version']}",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": purl(pkg, distro)}],
            "comment": pkg["comment"],
        }
        if pkg["homepage"]:
            entry["homepage"] = pkg["homepage"]
        doc_packages.append(entry)
        relationships.append({"spdxElementId": operator_id, "relationshipType": "DEPENDS_ON",
                              "relatedSpdxElement": entry["SPDXID"]})
    body = {"packages": doc_packages, "relationships": relationships}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"servicetoken-operator-{version}",
        "documentNamespace": f"https://servicetoken.dev/spdx/servicetoken-operator-{version}-{digest}",
        "creationInfo": {"created": created, "creators": ["Tool: servicetoken-operator hack/image.py"]},
        **body,
    }
    return json_bytes(doc, indent=2)


def json_bytes(value, indent=None):
    return (json.dumps(value, sort_keys=True, indent=indent, ensure_ascii=False) + ("\n" if indent else "")).encode()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def chart_image():
    values = read_host_file(os.path.join(CHART, "values.yaml")).decode()
    m = re.search(r"^image:\n(?:[ \t]+.*\n|\n)*?[ \t]+repository:[ \t]*\"?([^\s\"#]+)", values, re.M)
    if not m:
        fail("no image.repository in the chart's values.yaml")
    chart = read_host_file(os.path.join(CHART, "Chart.yaml")).decode()
    t = re.search(r"^appVersion:[ \t]*\"?([^\s\"#]+)", chart, re.M)
    if not t:
        fail("no appVersion in the chart's Chart.yaml")
    return m.group(1), t.group(1)


def source_date_epoch():
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        return int(value)
    try:
        return int(run(["git", "-C", ROOT, "log", "-1", "--format=%ct"]).strip())
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError):
        fail("set SOURCE_DATE_EPOCH (no git history to take the time of the last commit from)")


def goarch():
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def write_blob(layout, data):
    digest = sha256(data)
    path = os.path.join(layout, "blobs", "sha256", digest.split(":")[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def tar_directory(directory, epoch):
    """A tar of a directory tree: sorted, fixed times and owners."""
    layer = Layer()
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        rel = os.path.relpath(dirpath, directory)
        if rel != ".":
            layer.directory(rel)
        for name in filenames:
            path = os.path.join(dirpath, name)
            layer.file(os.path.normpath(os.path.join(rel, name)), read_host_file(path))
    return layer.tar(epoch)


def shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def build(args):
    epoch = source_date_epoch()
    created = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    repository, tag = chart_image()
    reference = f"{repository}:{tag}"
    release = os_release()
    distro = f"{release.get('ID', 'debian')}-{release.get('VERSION_ID', '')}"

    # The operator, stripped: the image carries no debug information.
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "servicetoken-operator")
        subprocess.run(["strip", "--strip-all", "-o", stripped, args.binary], check=True)
        operator = read_host_file(stripped)
        version = run([stripped, "--version"]).split()[-1]
    if version != tag:
        fail(f"the operator reports version {version}, but the chart's appVersion is {tag}")

    # Layer 1: the runtime packages and the files that make a root filesystem.
    base = Layer()
    # Only the library links: the image has no /usr/bin or /usr/sbin to link to.
    for link in ("lib", "lib64"):
        base.symlink(link, MERGED[link])
    names = run([os.path.join(ROOT, "hack", "install-deps.sh"), "list", "runtime"]).split()
    packages = []
    for name in names:
        pkg = package_fields(name)
        if name == "ca-certificates":
            bundle, count = ca_bundle()
            base.file(CA_BUNDLE, bundle)
            base.file("usr/share/doc/ca-certificates/copyright",
                      read_host_file("/usr/share/doc/ca-certificates/copyright"))
            pkg["comment"] = f"{count} Mozilla certificates, joined into /{CA_BUNDLE}"
        else:
            count = add_package(base, name)
            pkg["comment"] = f"{count} files from /etc and the library directories"
        base.file(f"var/lib/dpkg/status.d/{name}", status_stanza(name))
        packages.append(pkg)
    # OpenSSL looks for its CA bundle here (the links the openssl package makes).
    base.symlink("usr/lib/ssl/cert.pem", "/" + CA_BUNDLE)
    base.symlink("usr/lib/ssl/certs", "/etc/ssl/certs")
    osrel = read_host_file("/usr/lib/os-release")
    base.file("usr/lib/os-release", osrel)
    base.symlink("etc/os-release", "../usr/lib/os-release")
    base.file("etc/debian_version", read_host_file("/etc/debian_version"))
    base.file("etc/passwd", f"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{UID}:{UID}:nonroot:/home/nonroot:/sbin/nologin\n".encode())
    base.file("etc/group", f"root:x:0:\nnonroot:x:{UID}:\n".encode())
    base.file("etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
    base.directory("root", 0o700)
    base.directory("home/nonroot", 0o700, UID, UID)
    base.directory("tmp", 0o1777)

    # Layer 2: the operator and the SBOM.
    document = sbom(packages, hashlib.sha256(operator).hexdigest(), version, created, distro)
    app = Layer()
    app.file(OPERATOR_PATH, operator, 0o755)
    app.file(SBOM_PATH, document)

    out = os.path.abspath(args.out)
    layout = os.path.join(out, "oci")
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    layers, diff_ids = [], []
    for layer in (base, app):
        tar = layer.tar(epoch)
        diff_ids.append(sha256(tar))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       **write_blob(layout, gzip_bytes(tar))})
    labels = {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.description": "servicetoken-operator: ServiceTokens minted exactly once into Secrets",
        "org.opencontainers.image.licenses": "NOASSERTION",
        "org.opencontainers.image.source": "https://github.com/servicetoken-dev/servicetoken-operator",
        "org.opencontainers.image.title": "servicetoken-operator",
        "org.opencontainers.image.version": version,
    }
    config = {
        "architecture": goarch(),
        "os": "linux",
        "created": created,
        "config": {
            "User": f"{UID}:{UID}",
            "Entrypoint": ["/" + OPERATOR_PATH],
            "Env": ["PATH=/usr/local/bin", "SSL_CERT_FILE=/" + CA_BUNDLE],
            "WorkingDir": "/home/nonroot",
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": created, "created_by": "hack/image.py: Debian runtime packages " + " ".join(names)},
            {"created": created, "created_by": "hack/image.py: servicetoken-operator " + version},
        ],
    }
    config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", **write_blob(layout, json_bytes(config))}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": layers, "annotations": labels}
    manifest_desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                     **write_blob(layout, json_bytes(manifest)),
                     "platform": {"architecture": goarch(), "os": "linux"},
                     "annotations": {"org.opencontainers.image.ref.name": tag,
                                     "io.containerd.image.name": reference}}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest_desc]}
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(json_bytes(index))
    with open(os.path.join(layout, "oci-layout"), "wb") as f:
        f.write(json_bytes({"imageLayoutVersion": "1.0.0"}))

    archive = os.path.join(out, f"servicetoken-operator-{tag}.oci.tar")
    with open(archive, "wb") as f:
        f.write(tar_directory(layout, epoch))
    with open(os.path.join(out, "sbom.spdx.json"), "wb") as f:
        f.write(document)
    size = sum(l["size"] for l in layers)
    print(f"Built {reference} {manifest_desc['digest']} ({size / 1048576:.1f} MiB compressed, "
          f"{len(packages)} Debian packages)")
    print(f"  layout:  {shown(layout)}  (oci:{shown(layout)}:{tag})")
    print(f"  archive: {shown(archive)}  (oci-archive:{shown(archive)})")
    print(f"  SBOM:    {shown(os.path.join(out, 'sbom.spdx.json'))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the servicetoken-operator binary to ship")
    parser.add_argument("--out", required=True, help="output directory, e.g. build/image")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        fail(f"{args.binary} is not an executable (run make build)")
    build(args)


if __name__ == "__main__":
    main()
