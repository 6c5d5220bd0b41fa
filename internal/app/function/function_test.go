package function

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestAWSConfig_FromLambdaEnvironment(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantRegion   string
		wantEndpoint string
		wantErr      bool
	}{
		{name: "lambda", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"},
			wantRegion: "eu-west-1"},
		{name: "default region and an emulator", env: map[string]string{"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"},
			wantRegion: "us-east-1", wantEndpoint: "http://127.0.0.1:5000"},
		{name: "no credentials", env: map[string]string{"AWS_REGION": "eu-west-1"}, wantErr: true},
		{name: "no region", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := AWSConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if err == nil {
					t.Fatalf("AWSConfig = %+v, want an error", cfg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion || aws.ToString(cfg.BaseEndpoint) != tt.wantEndpoint {
				t.Errorf("region %q, endpoint %q; want %q, %q", cfg.Region, aws.ToString(cfg.BaseEndpoint), tt.wantRegion, tt.wantEndpoint)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
				t.Errorf("credentials %+v, want the environment's", creds)
			}
			if got := cfg.Retryer().MaxAttempts(); got != 5 {
				t.Errorf("retryer allows %d attempts, want Retryer's 5", got)
			}
		})
	}
}
