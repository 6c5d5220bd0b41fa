package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDrainBody_ClientThatSendsEverythingFirst plays a client that writes
// a whole oversize body before it reads the answer, as Python's requests
// does: it must read the 413, not a reset.
func TestDrainBody_ClientThatSendsEverythingFirst(t *testing.T) {
	tooLarge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if _, err := io.Copy(io.Discard, r.Body); err == nil {
			t.Error("the body was not over the limit")
		}
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	})
	for _, tc := range []struct {
		name string
		size int
		want int // status read, or 0 for a failed exchange
	}{
		{"12 MiB body", 12 << 20, http.StatusRequestEntityTooLarge},
		{"past the drain bound", maxDrain + 8<<20, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(drainBody(tooLarge))
			defer srv.Close()
			got := sendAllThenRead(t, srv.Listener.Addr().String(), tc.size)
			if got != tc.want {
				t.Fatalf("status = %d, want %d", got, tc.want)
			}
		})
	}
}

// sendAllThenRead writes a POST with a body of size bytes, then reads the
// answer's status; 0 when the write or the read fails.
func sendAllThenRead(t *testing.T, addr string, size int) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /public/v1/products HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, size)
	if _, err := conn.Write([]byte(head)); err != nil {
		return 0
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := conn.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
			return 0
		}
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	return res.StatusCode
}
