package moto_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/moto"
)

// startServer starts a moto_server for one test, skipping it under -short
// or when moto is not installed (with CI=true it does neither: it fails).
func startServer(t *testing.T) *moto.Server {
	t.Helper()
	return startServerWith(t, moto.Options{LogWriter: &bytes.Buffer{}})
}

func startServerWith(t *testing.T, opts moto.Options) *moto.Server {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("starts moto_server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := moto.Start(ctx, opts)
	if errors.Is(err, moto.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

func TestServer_Lifecycle(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()

	t.Run("answers http", func(t *testing.T) {
		resp, err := http.Get(srv.Endpoint() + "/moto-api/")
		if err != nil {
			t.Fatalf("GET moto-api: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("serves aws apis", func(t *testing.T) {
		cfg, err := moto.AWSConfig(ctx, srv.Endpoint())
		if err != nil {
			t.Fatalf("AWSConfig: %v", err)
		}
		client := sqs.NewFromConfig(cfg)
		if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q1")}); err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		list := func() []string {
			out, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
			if err != nil {
				t.Fatalf("ListQueues: %v", err)
			}
			return out.QueueUrls
		}
		if got := len(list()); got != 1 {
			t.Fatalf("queues = %d, want 1", got)
		}
		if err := moto.Reset(ctx, srv.Endpoint()); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if diff := cmp.Diff([]string(nil), list()); diff != "" {
			t.Errorf("queues after reset (-want +got):\n%s", diff)
		}
	})

	t.Run("stop leaves no process", func(t *testing.T) {
		pid := srv.Pid()
		if processGone(pid) {
			t.Fatalf("pid %d gone before Stop", pid)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if !processGone(pid) {
			t.Errorf("pid %d still exists after Stop", pid)
		}
		if err := srv.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		if _, err := http.Get(srv.Endpoint() + "/moto-api/"); err == nil {
			t.Errorf("endpoint still answers after Stop")
		}
	})
}

func TestStart_FixedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	srv := startServerWith(t, moto.Options{Port: port})
	if diff := cmp.Diff(fmt.Sprintf("http://127.0.0.1:%d", port), srv.Endpoint()); diff != "" {
		t.Errorf("endpoint (-want +got):\n%s", diff)
	}
}

func TestStart_NotInstalled(t *testing.T) {
	fakePython := "#!/bin/sh\necho 'No module named moto' >&2\nexit 1\n"
	tests := []struct {
		name  string
		files map[string]string
	}{
		{name: "nothing on PATH"},
		{name: "python without moto", files: map[string]string{"python3": fakePython}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
					t.Fatalf("write %s: %v", name, err)
				}
			}
			t.Setenv("PATH", dir)
			srv, err := moto.Start(context.Background(), moto.Options{StartTimeout: 5 * time.Second})
			if err == nil {
				_ = srv.Stop()
			}
			if !errors.Is(err, moto.ErrNotInstalled) {
				t.Fatalf("Start error = %v, want ErrNotInstalled", err)
			}
		})
	}
}

func TestAWSConfig_Region(t *testing.T) {
	tests := []struct {
		name string
		env  string
		want string
	}{
		{name: "default", env: "", want: "us-east-1"},
		{name: "from env", env: "eu-west-1", want: "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tt.env)
			cfg, err := moto.AWSConfig(context.Background(), "http://127.0.0.1:1")
			if err != nil {
				t.Fatalf("AWSConfig: %v", err)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			got := []string{cfg.Region, aws.ToString(cfg.BaseEndpoint), creds.AccessKeyID, creds.SecretAccessKey}
			want := []string{tt.want, "http://127.0.0.1:1", "test", "test"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}
