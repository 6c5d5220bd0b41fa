package main

import (
	"io"
	"net/http"
)

// maxDrain bounds what the local server reads of a body the API did not
// read: API Gateway's own limit on a payload (10 MB) and some room.
const maxDrain = 16 << 20

// drainBody reads what is left of a request body, up to maxDrain bytes,
// once the API has answered. API Gateway receives a whole body before the
// function answers; net/http instead closes the connection on a large
// unread body, and a client that sends all of it before reading the
// answer (Python's requests and urllib) then sees a connection reset
// where it should read the 413. Past maxDrain the connection is closed as
// before, so a client cannot make the server read without end.
func drainBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Body
		next.ServeHTTP(w, r)
		_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	})
}
