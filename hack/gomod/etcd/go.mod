// Wrapper module that pins etcd for building the test binary.
module servicetoken.dev/hack/etcd

go 1.26

require go.etcd.io/etcd/server/v3 v3.6.13
