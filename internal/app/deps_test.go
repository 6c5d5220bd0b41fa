package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/app"
)

// TestFunctions_LinkOnlyTheirHandler lists what each function's main
// imports, directly or not, as the Makefile builds it: a function's binary
// must not carry another function's packages.
func TestFunctions_LinkOnlyTheirHandler(t *testing.T) {
	const (
		m        = "github.com/mercato-dev/mercato/internal/"
		otelhttp = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
		excelize = "github.com/xuri/excelize/v2"
	)
	heavy := []string{
		m + "app", m + "httpapi", m + "portal", m + "rql", m + "markdown",
		"github.com/yuin/goldmark",
	}
	// No function links the SDK's shared-config loader and the credential
	// providers behind it (STS, SSO, sign-in): function.AWSConfig reads
	// what Lambda sets.
	// Nor otelaws, which links the S3, SNS, SQS and DynamoDB clients into
	// every binary (function.TraceAWS traces the SDK calls).
	everywhere := []string{"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/sts", "github.com/aws/aws-sdk-go-v2/service/sso",
		"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws", "github.com/aws/aws-sdk-go-v2/service/sns"}
	s3, sqs := "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/aws/aws-sdk-go-v2/service/sqs"
	notIn := map[string][]string{
		"relay":       {otelhttp, excelize, s3, m + "account", m + "catalog", m + "fulfillment", m + "ordering", m + "webhook", m + "usage", m + "billing", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
		"dispatcher":  {excelize, s3, m + "fulfillment", m + "ordering", m + "usage", m + "billing", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
		"fulfillment": {otelhttp, excelize, s3, sqs, m + "webhook", m + "usage", m + "billing", m + "relay"},
		"usage":       {otelhttp, excelize, sqs, m + "webhook", m + "billing", m + "relay", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
		"billing":     {otelhttp, excelize, sqs, m + "webhook", m + "relay", "github.com/aws/aws-sdk-go-v2/service/sesv2"},
		// The API links no S3 client: the routes whose services use it are
		// the files function's.
		"api": {m + "app", m + "relay", "github.com/aws/aws-sdk-go-v2/service/sesv2", sqs, m + "app/dispatcherfn", m + "webhook/sqsqueue",
			m + "markdown", "github.com/yuin/goldmark", s3, excelize, m + "usage", m + "billing", m + "httpapi/files"},
		// The render function serves its routes without httpapi, and so
		// without the API's services and the S3 client they reach.
		"render": {otelhttp, excelize, s3, sqs, m + "app", m + "httpapi", m + "rql", m + "webhook", m + "usage", m + "billing", m + "relay",
			"github.com/aws/aws-sdk-go-v2/service/sesv2"},
		// The files function serves its routes without httpapi, and so
		// without the API's other services.
		"files": {otelhttp, sqs, m + "app", m + "httpapi", m + "webhook", m + "relay", m + "markdown", "github.com/yuin/goldmark",
			"github.com/aws/aws-sdk-go-v2/service/sesv2"},
	}
	// The API and the render and files functions serve HTTP with the
	// portal's sessions; only the render function links the Markdown
	// parser.
	serves := map[string]bool{"api": true, "render": true, "files": true}
	for _, fn := range app.Functions() {
		t.Run(fn, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "../../functions/"+fn).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			forbidden := append(slices.Clone(notIn[fn]), everywhere...)
			if !serves[fn] {
				forbidden = append(forbidden, heavy...)
			}
			for _, p := range forbidden {
				if slices.Contains(deps, p) {
					t.Errorf("functions/%s links %s", fn, p)
				}
			}
		})
	}
}
