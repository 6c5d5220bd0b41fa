package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Fault is the error response a Rule answers with, in the service's JSON
// protocol (DynamoDB and SQS both speak awsJson1_0).
type Fault struct {
	Status  int
	Type    string // the service's error shape, with its namespace
	Message string
}

// The faults the suite injects.
var (
	// DynamoThrottle is what DynamoDB answers when a partition is over its
	// throughput; the SDK retries it as a throttling error.
	DynamoThrottle = Fault{http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
		"The level of configured provisioned throughput for the table was exceeded (injected)"}
	// SQSUnavailable is SQS's 503, which the SDK retries as transient.
	SQSUnavailable = Fault{http.StatusServiceUnavailable, "com.amazonaws.sqs#ServiceUnavailable",
		"The request has failed due to a temporary failure of the server (injected)"}
)

// Rule picks calls to fail. Either Rate (a share of the matching calls,
// drawn at random) or Every (each Nth matching call) is set.
type Rule struct {
	Service    string   // the SDK's service id: "DynamoDB", "SQS", "S3"
	Operations []string // empty: every operation of Service
	Rate       float64
	Every      int64
	// Limit caps the injections; 0 is no cap.
	Limit int64
	Fault Fault
	// Then, when set, runs as a call is failed: to kill the invocation
	// making it (cancel its context), say. A panic here would be closer to
	// a crashed process, but one in a function's background goroutine
	// takes the whole test binary down with it.
	Then func()

	seen     atomic.Int64
	injected atomic.Int64
}

// Injected is how many calls the rule has failed.
func (r *Rule) Injected() int64 { return r.injected.Load() }

// Seen is how many calls matched the rule.
func (r *Rule) Seen() int64 { return r.seen.Load() }

func (r *Rule) matches(service, op string) bool {
	return service == r.Service && (len(r.Operations) == 0 || slices.Contains(r.Operations, op))
}

// Injector holds the active rules; install it once on an aws.Config and
// change its rules while the platform runs.
type Injector struct {
	mu    sync.Mutex
	rules []*Rule
	rnd   *rand.Rand
}

// NewInjector returns an injector with no rules, drawing from seed so a
// failing run can be replayed.
func NewInjector(seed uint64) *Injector {
	return &Injector{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Set replaces the rules.
func (in *Injector) Set(rules ...*Rule) {
	in.mu.Lock()
	in.rules = rules
	in.mu.Unlock()
}

// Clear removes every rule.
func (in *Injector) Clear() { in.Set() }

// Install adds the injector to every client built from cfg. It sits last in
// the deserialize step, next to the transport, so an injected answer goes
// through the real error deserializer and the real retryer, and each retry
// attempt is a new draw.
func (in *Injector) Install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("chaos.Injector", in.handle), middleware.After)
	})
}

func (in *Injector) handle(ctx context.Context, req middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	f, then, ok := in.pick(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
	if !ok {
		return next.HandleDeserialize(ctx, req)
	}
	if then != nil {
		then()
	}
	body := fmt.Sprintf(`{"__type":%q,"message":%q}`, f.Type, f.Message)
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-RequestId", "chaos-injected")
	if strings.HasPrefix(f.Type, "com.amazonaws.sqs#") {
		// SQS's JSON protocol also names the legacy query error code here.
		h.Set("X-Amzn-Query-Error", "AWS.SimpleQueueService."+f.Type[strings.Index(f.Type, "#")+1:]+";Receiver")
	}
	res := &smithyhttp.Response{Response: &http.Response{
		StatusCode: f.Status, Status: http.StatusText(f.Status), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}}
	return middleware.DeserializeOutput{RawResponse: res}, middleware.Metadata{}, nil
}

// pick decides whether this call fails, and with what.
func (in *Injector) pick(service, op string) (f Fault, then func(), ok bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range in.rules {
		if !r.matches(service, op) || (r.Limit > 0 && r.injected.Load() >= r.Limit) {
			continue
		}
		n := r.seen.Add(1)
		if (r.Every > 0 && n%r.Every == 0) || (r.Rate > 0 && in.rnd.Float64() < r.Rate) {
			r.injected.Add(1)
			return r.Fault, r.Then, true
		}
	}
	return Fault{}, nil, false
}
