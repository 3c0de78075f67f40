// Wrapper module that pins helm for building the test binary.
// hack/build-binaries.sh builds it with -mod=readonly: this file and go.sum
// are used as committed. To move to another release: run, here, with the
// pinned toolchain (hack/go-toolchain.sh prints its path),
// `go get helm.sh/helm/v3/cmd/helm@vX.Y.Z` (naming the package records the
// go.sum lines its build needs) and commit go.mod and go.sum together.
module servicetoken.dev/hack/helm

go 1.26.0

require helm.sh/helm/v3 v3.22.0
