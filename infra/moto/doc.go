// Package moto starts and stops a local moto_server, the AWS emulator that
// the local stack and the integration tests run against when no other
// emulator is given through AWS_ENDPOINT_URL.
package moto
