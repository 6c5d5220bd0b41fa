// Package coldstart measures what a Lambda cold start costs each function:
// the binary's size and the time from exec to the first handled event. It
// serves the Lambda Runtime API itself (the part a Go runtime uses), so the
// real bootstrap binaries run unmodified, and it compares them with a
// hello-world aws-lambda-go binary built the same way in the same run.
package coldstart

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// RuntimeAPI is a one-invocation Lambda Runtime API: it hands out one
// event and records when the response (or an error) arrives.
type RuntimeAPI struct {
	Event []byte

	mu       sync.Mutex
	handed   bool
	done     chan struct{}
	response []byte
	failed   string
	srv      *http.Server
	ln       net.Listener
}

// Start listens on a free loopback port.
func Start(event []byte) (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &RuntimeAPI{Event: event, done: make(chan struct{}), ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.respond)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.fail)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", a.fail)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API.
func (a *RuntimeAPI) Addr() string { return a.ln.Addr().String() }

// Close stops the server.
func (a *RuntimeAPI) Close() error { return a.srv.Close() }

// Done is closed when the invocation has answered.
func (a *RuntimeAPI) Done() <-chan struct{} { return a.done }

// Result returns the response body, or the error the function reported.
func (a *RuntimeAPI) Result() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed != "" {
		return nil, fmt.Errorf("function error: %s", a.failed)
	}
	return a.response, nil
}

func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	handed := a.handed
	a.handed = true
	a.mu.Unlock()
	if handed {
		// A second poll after the answer: block until the process is ended.
		<-r.Context().Done()
		return
	}
	w.Header().Set("Lambda-Runtime-Aws-Request-Id", "coldstart-1")
	w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
	w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:coldstart")
	_, _ = w.Write(a.Event)
}

func (a *RuntimeAPI) respond(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.finish(body, "")
	w.WriteHeader(http.StatusAccepted)
}

func (a *RuntimeAPI) fail(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.finish(nil, string(body))
	w.WriteHeader(http.StatusAccepted)
}

func (a *RuntimeAPI) finish(body []byte, failed string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.done:
		return
	default:
	}
	a.response, a.failed = body, failed
	close(a.done)
}
