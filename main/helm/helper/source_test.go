package main

import (
	"errors"
	"testing"
)

// Status codes are read as words of the message: a registry on a port such as 34013 must not turn "not found" into
// "refused the credentials" (a flaky integration test found this).
func TestFetchErrorReadsStatusCodesNotPorts(t *testing.T) {
	cases := []struct {
		msg  string
		want string
	}{
		{"GET http://127.0.0.1:34013/v2/charts/sub/manifests/9.9.9: response status code 404: not found", CodeChartNotFound},
		{"127.0.0.1:40137/charts/sub:9.9.9: not found", CodeChartNotFound},
		{"GET http://127.0.0.1:4040/v2/charts/sub/manifests/0.1.0: response status code 401: unauthorized", CodeUnauthorized},
		{"HEAD https://r.example/v2/x/manifests/1: response status code 403: denied", CodeUnauthorized},
		{"dial tcp 127.0.0.1:40301: connect: connection refused", CodeRepoUnreachable},
	}
	for _, c := range cases {
		var he *HelmError
		if !errors.As(fetchError(errors.New(c.msg), "oci://r/charts"), &he) || he.Code != c.want {
			t.Errorf("%q: got %+v, want code %s", c.msg, he, c.want)
		}
	}
}
