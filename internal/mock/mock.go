// Package mock holds test doubles of the domain services the HTTP API calls
// (the interfaces of internal/httpapi's Config), in the manner of
// benbjohnson/wtf's mock package: each method calls the function field of
// the same name plus Fn, which a test sets for the calls it expects. A call
// whose field is nil panics, so an unexpected call fails the test.
package mock
