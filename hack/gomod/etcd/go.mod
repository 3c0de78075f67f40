// Wrapper module that pins etcd for building the test binary (etcd's own
// go.mod has relative replaces, so it cannot be built as a dependency as is).
// hack/build-binaries.sh builds it with -mod=readonly: this file and go.sum
// are used as committed. To move to another release: run, here, with the
// pinned toolchain (hack/go-toolchain.sh prints its path),
// `go get go.etcd.io/etcd/server/v3@vX.Y.Z` (naming the package records the
// go.sum lines its build needs) and commit go.mod and go.sum together.
module servicetoken.dev/hack/etcd

go 1.26

require go.etcd.io/etcd/server/v3 v3.6.13
