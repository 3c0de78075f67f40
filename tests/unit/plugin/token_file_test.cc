// writeTokenFile(): owner-only from creation, exclusive create, atomic
// replace that never follows a symlink, no partial or temp files left.
#include "plugin/token_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "temp_dir.h"

namespace st::plugin {
namespace {

using sttest::fileMode;
using sttest::listDir;
using sttest::readFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Sets the process umask for one test and restores it.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

TEST(WriteTokenFile, CreatesOwnerOnlyFileEvenWithAPermissiveUmask) {
  ScopedUmask open(0);
  sttest::TempDir dir;
  for (bool replace : {false, true}) {
    const std::string name = replace ? "b.txt" : "a.txt";
    auto path = writeTokenFile(dir.path(), name, "secret", replace);
    ASSERT_TRUE(path.isOk()) << path.status().toString();
    EXPECT_EQ(*path, dir.file(name));
    EXPECT_EQ(fileMode(*path), 0600);
    EXPECT_EQ(readFile(*path), "secret");
  }
}

TEST(WriteTokenFile, ExclusiveCreateLeavesAnExistingFileAlone) {
  sttest::TempDir dir;
  ASSERT_TRUE(writeTokenFile(dir.path(), "t.txt", "first", false).isOk());
  auto again = writeTokenFile(dir.path(), "t.txt", "second", false);
  EXPECT_EQ(again.status().code(), ctrl::Code::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr(dir.file("t.txt")));
  EXPECT_THAT(again.status().message(), ::testing::Not(HasSubstr("second")));
  EXPECT_EQ(readFile(dir.file("t.txt")), "first");
}

TEST(WriteTokenFile, ExclusiveCreateRefusesASymlink) {
  sttest::TempDir dir;
  { std::ofstream(dir.file("victim")) << "keep"; }
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("t.txt").c_str()), 0);
  EXPECT_EQ(writeTokenFile(dir.path(), "t.txt", "x", false).status().code(),
            ctrl::Code::kAlreadyExists);
  EXPECT_EQ(readFile(dir.file("victim")), "keep");
}

TEST(WriteTokenFile, ReplaceSwapsTheFileAndDoesNotFollowASymlink) {
  sttest::TempDir dir;
  { std::ofstream(dir.file("victim")) << "keep"; }
  ASSERT_EQ(::symlink(dir.file("victim").c_str(), dir.file("t.txt").c_str()), 0);
  auto path = writeTokenFile(dir.path(), "t.txt", "new", true);
  ASSERT_TRUE(path.isOk()) << path.status().toString();
  struct stat st {};
  ASSERT_EQ(::lstat(dir.file("t.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(readFile(dir.file("t.txt")), "new");
  EXPECT_EQ(readFile(dir.file("victim")), "keep");
  EXPECT_THAT(listDir(dir.path()), UnorderedElementsAre("t.txt", "victim"));
}

TEST(WriteTokenFile, ReplaceOfAWidelyReadableFileYieldsMode0600) {
  sttest::TempDir dir;
  { std::ofstream(dir.file("t.txt")) << "old"; }
  ASSERT_EQ(::chmod(dir.file("t.txt").c_str(), 0644), 0);
  ASSERT_TRUE(writeTokenFile(dir.path(), "t.txt", "new", true).isOk());
  EXPECT_EQ(fileMode(dir.file("t.txt")), 0600);
  EXPECT_EQ(readFile(dir.file("t.txt")), "new");
  EXPECT_THAT(listDir(dir.path()), ElementsAre("t.txt"));
}

TEST(WriteTokenFile, FailedReplaceLeavesNoTemporaryFile) {
  sttest::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("t.txt").c_str(), 0700), 0);  // rename over a directory fails
  auto path = writeTokenFile(dir.path(), "t.txt", "new", true);
  EXPECT_EQ(path.status().code(), ctrl::Code::kInternal);
  EXPECT_THAT(listDir(dir.path()), ElementsAre("t.txt"));
}

TEST(WriteTokenFile, RejectsMissingDirectoriesAndNonPlainNames) {
  sttest::TempDir dir;
  EXPECT_EQ(writeTokenFile(dir.file("nope"), "t.txt", "x", false).status().code(),
            ctrl::Code::kNotFound);
  { std::ofstream(dir.file("file")) << ""; }
  EXPECT_EQ(writeTokenFile(dir.file("file"), "t.txt", "x", false).status().code(),
            ctrl::Code::kInvalidArgument);
  for (const char* bad : {"", ".", "..", "a/b"}) {
    EXPECT_EQ(writeTokenFile(dir.path(), bad, "x", false).status().code(),
              ctrl::Code::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace st::plugin
