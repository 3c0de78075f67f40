#include "policy/naming.h"

#include <cctype>

namespace st {

std::string deriveUserId(std::string_view displayName, std::string_view ns) {
  std::string id;
  id.reserve(displayName.size() + ns.size() + 10);
  for (char raw : displayName) {
    auto c = static_cast<unsigned char>(raw);
    if (c == ' ') {
      id.push_back('_');
    } else if (std::isalnum(c) != 0 && c < 0x80) {
      id.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '_') {
      id.push_back('_');
    }
  }
  id += '@';
  id += ns;
  id += ".service";
  return id;
}

std::string downloadFileName(std::string_view displayName) {
  std::string slug;
  slug.reserve(displayName.size() + 10);
  for (char raw : displayName) {
    auto c = static_cast<unsigned char>(raw);
    if (c == ' ' || c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
      slug.push_back('-');
    } else {
      slug.push_back(static_cast<char>(c < 0x80 ? std::tolower(c) : c));
    }
  }
  return slug + "-token.txt";
}

}  // namespace st
