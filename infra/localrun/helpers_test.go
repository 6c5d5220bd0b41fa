package localrun_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/moto/mototest"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
)

var emulator = mototest.New()

func TestMain(m *testing.M) { os.Exit(emulator.Main(m)) }

// env is one deployed test stack and clients for it.
type env struct {
	cfg aws.Config
	st  *stack.Stack
	sqs *sqs.Client
	ddb *dynamodb.Client
}

// deploy deploys a testdata template under a unique stack name.
func deploy(t *testing.T, file string) env {
	t.Helper()
	cfg := emulator.Config(t)
	path := "testdata/" + file
	tpl, err := stack.ParseTemplateFile(path)
	if err != nil {
		t.Fatalf("ParseTemplateFile: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "lr-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := stack.Deploy(ctx, cfg, tpl, name, nil)
	if err != nil {
		t.Fatalf("Deploy %s: %v", file, err)
	}
	t.Cleanup(func() { _ = stack.Delete(context.Background(), cfg, name) })
	return env{cfg: cfg, st: st, sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg)}
}

// runtime builds a Runtime for e with handlers and fast test timings.
func (e env) runtime(t *testing.T, h app.Handlers, tweak func(*localrun.Config)) *localrun.Runtime {
	t.Helper()
	cfg := localrun.Config{
		AWS:              e.cfg,
		Stack:            e.st,
		Handlers:         h,
		Logger:           testLogger(t),
		PollWait:         time.Second,
		FailedVisibility: time.Second,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	rt, err := localrun.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rt
}

// start runs rt until the test ends (or the returned stop is called) and
// fails the test if Run returns an error.
func start(t *testing.T, rt *localrun.Runtime) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			began := time.Now()
			cancel()
			select {
			case err := <-done:
				took = time.Since(began)
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return within 10s of cancel")
				took = 10 * time.Second
			}
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func (e env) queueURL(t *testing.T, logicalID string) string {
	t.Helper()
	url, err := e.st.QueueURL(context.Background(), logicalID)
	if err != nil {
		t.Fatalf("QueueURL %s: %v", logicalID, err)
	}
	return url
}

func (e env) send(t *testing.T, queueURL string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		_, err := e.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl:    aws.String(queueURL),
			MessageBody: aws.String(b),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String("test")},
			},
		})
		if err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
}

// drain receives and deletes every visible message of a queue, returning
// the bodies.
func (e env) drain(t *testing.T, queueURL string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, _ = e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// queueDepth is visible plus in-flight messages.
func (e env) queueDepth(t *testing.T, queueURL string) int {
	t.Helper()
	out, err := e.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	var n, m int
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &n)
	fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &m)
	return n + m
}

// testLogger logs at debug level into the test's output, and stops
// writing once the test is over so late goroutines cannot break it.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// recorder is a concurrency-safe log of what handlers saw.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) add(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, s...)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func (r *recorder) count(s string) int {
	n := 0
	for _, e := range r.list() {
		if e == s {
			n++
		}
	}
	return n
}
