// Which TCP connections this process holds to a loopback port, read from
// /proc (Linux). Lets a test or benchmark see keep-alive reuse from outside
// the transport: a connection is the same one as long as its socket inode is.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace sttest {

// Inodes of this process's ESTABLISHED TCP sockets whose remote port is
// `port` (IPv4 and IPv6). Empty when /proc is unavailable. Not thread-safe
// with respect to the sockets it reports (they may close meanwhile).
inline std::set<unsigned long> establishedSocketsTo(int port) {
  std::set<unsigned long> toPort;
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (!fields || state != "01") continue;  // 01: ESTABLISHED
      const auto colon = remote.rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoi(remote.substr(colon + 1), nullptr, 16) == port) toPort.insert(inode);
    }
  }
  // The tables list the whole network namespace (the server's side of a
  // loopback connection too); keep the sockets this process has open.
  std::set<unsigned long> mine;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      const std::string path = std::string("/proc/self/fd/") + entry->d_name;
      char target[64];
      const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      unsigned long inode = 0;
      if (std::sscanf(target, "socket:[%lu]", &inode) == 1 && toPort.count(inode) != 0) {
        mine.insert(inode);
      }
    }
    closedir(dir);
  }
  return mine;
}

// The port of a URL such as "https://127.0.0.1:6443", or -1.
inline int portOf(const std::string& url) {
  const auto colon = url.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    return std::stoi(url.substr(colon + 1));
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace sttest
