// Command etcd is upstream etcd's server main, built from the module proxy for the test control plane.
// `go install go.etcd.io/etcd/server/v3@vX` is refused because etcd's go.mod carries replace directives
// (etcd-io/etcd#18501), so this wrapper module requires the server module and calls its entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
