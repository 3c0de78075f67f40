#include "token/secret_string.h"

#include <gtest/gtest.h>

#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace {

// Detects `std::ostream << T`.
template <typename T, typename = void>
struct Streamable : std::false_type {};
template <typename T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

static_assert(!std::is_convertible_v<st::SecretString, std::string>,
              "a secret must not silently become a string");
static_assert(!std::is_convertible_v<st::SecretString, std::string_view>,
              "a secret must not silently become a string_view");
static_assert(!std::is_convertible_v<std::string, st::SecretString>,
              "wrapping a secret must be explicit");
static_assert(!Streamable<st::SecretString>::value, "a secret must not be streamable");

TEST(SecretStringTest, RevealsTheValueExplicitly) {
  st::SecretString secret(std::string("eyJ.secret.value"));
  EXPECT_EQ(secret.reveal(), "eyJ.secret.value");
  EXPECT_EQ(secret.size(), 16u);
  EXPECT_FALSE(secret.empty());
  EXPECT_TRUE(st::SecretString().empty());
  EXPECT_EQ(st::SecretString("literal").reveal(), "literal");
}

TEST(SecretStringTest, ComparesByValue) {
  const st::SecretString a(std::string_view("same-value"));
  const st::SecretString b(std::string_view("same-value"));
  const st::SecretString c(std::string_view("other-value"));
  const st::SecretString d(std::string_view("same-valuX"));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == d);
}

// Whether `value` appears in the `size` bytes at `bytes`.
bool bytesContain(const void* bytes, size_t size, std::string_view value) {
  std::string_view raw(static_cast<const char*>(bytes), size);
  return raw.find(value) != std::string_view::npos;
}

// Short values live inside the object (the small-string buffer), so its bytes
// can be inspected after the destructor ran: the value must be gone, not
// merely "empty".
TEST(SecretStringTest, TheDestructorWipesTheBytes) {
  alignas(st::SecretString) unsigned char storage[sizeof(st::SecretString)];
  auto* secret = new (storage) st::SecretString(std::string("sso-secret"));
  ASSERT_TRUE(bytesContain(storage, sizeof storage, "sso-secret")) << "precondition: SSO";
  secret->~SecretString();
  EXPECT_FALSE(bytesContain(storage, sizeof storage, "sso-secret"));
}

TEST(SecretStringTest, MovingWipesTheSource) {
  st::SecretString source(std::string("sso-moved"));
  ASSERT_TRUE(bytesContain(&source, sizeof source, "sso-moved")) << "precondition: SSO";
  st::SecretString target(std::move(source));
  EXPECT_FALSE(
      bytesContain(&source, sizeof source, "sso-moved"));  // NOLINT(bugprone-use-after-move)

  st::SecretString again(std::string("sso-assign"));
  st::SecretString assigned(std::string("sso-overwritten"));
  assigned = std::move(again);
  EXPECT_FALSE(
      bytesContain(&again, sizeof again, "sso-assign"));  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(bytesContain(&assigned, sizeof assigned, "sso-overwritten"));
  EXPECT_EQ(assigned.reveal(), "sso-assign");
}

TEST(SecretStringTest, MovedFromIsEmpty) {
  st::SecretString source(std::string("short"));  // small-string buffer
  st::SecretString target(std::move(source));
  EXPECT_EQ(target.reveal(), "short");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): checking the contract

  st::SecretString assigned;
  assigned = std::move(target);
  EXPECT_EQ(assigned.reveal(), "short");
  EXPECT_TRUE(target.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretStringTest, CopyIsIndependent) {
  st::SecretString original(std::string("a-fairly-long-secret-value-on-the-heap"));
  st::SecretString copy = original;
  original = st::SecretString(std::string("replaced"));
  EXPECT_EQ(copy.reveal(), "a-fairly-long-secret-value-on-the-heap");
}

TEST(SecretStringTest, GoogleTestPrintsAPlaceholder) {
  const st::SecretString secret(std::string("do-not-print-me"));
  const std::string printed = ::testing::PrintToString(secret);
  EXPECT_EQ(printed.find("do-not-print-me"), std::string::npos) << "leaked";
  EXPECT_NE(printed.find("redacted"), std::string::npos) << printed;
}

}  // namespace
