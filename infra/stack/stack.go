package stack

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/mercato-dev/mercato/internal/sleep"
)

const (
	pollEvery   = 250 * time.Millisecond
	waitTimeout = 5 * time.Minute
	urlSuffix   = "amazonaws.com"
)

// Stack is a deployed CloudFormation stack together with the template it
// was deployed from, able to name and resolve its resources.
type Stack struct {
	Name     string
	ID       string // the stack ARN
	Template *Template

	region    string
	accountID string
	partition string
	params    map[string]string
	physical  map[string]string

	cfn *cloudformation.Client
	sqs *sqs.Client
	ddb *dynamodb.Client
	s3  *s3.Client
}

// newStack builds the clients. S3 goes path-style whenever an endpoint is
// configured, because emulators do not serve virtual-hosted bucket names.
func newStack(cfg aws.Config, tpl *Template, name string) *Stack {
	return &Stack{
		Name:     name,
		Template: tpl,
		cfn:      cloudformation.NewFromConfig(cfg),
		sqs:      sqs.NewFromConfig(cfg),
		ddb:      dynamodb.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = cfg.BaseEndpoint != nil
		}),
	}
}

// Deploy makes sure stack stackName exists with the resources of tpl and
// returns it. An existing stack in CREATE_COMPLETE or UPDATE_COMPLETE is
// reused as it is (template changes are not applied: delete the stack to
// pick them up), so a second run against a persistent emulator starts fast.
// Otherwise tpl.EmulatorBody (the template less what the local runtime
// stands in for) is created with params. Then the properties emulators
// ignore (S3 bucket notifications to SQS, DynamoDB TTL) are applied from
// tpl; that step is idempotent.
func Deploy(ctx context.Context, cfg aws.Config, tpl *Template, stackName string, params map[string]string) (*Stack, error) {
	s := newStack(cfg, tpl, stackName)
	body, err := tpl.EmulatorBody()
	if err != nil {
		return nil, fmt.Errorf("deploy stack %s: %w", stackName, err)
	}
	desc, err := s.ensure(ctx, body, params)
	if err != nil {
		return nil, fmt.Errorf("deploy stack %s: %w", stackName, err)
	}
	if err := s.load(ctx, desc, params); err != nil {
		return nil, fmt.Errorf("deploy stack %s: %w", stackName, err)
	}
	if err := s.applyFixups(ctx); err != nil {
		return nil, fmt.Errorf("deploy stack %s: %w", stackName, err)
	}
	return s, nil
}

// ensure returns a completed stack, creating it when needed.
func (s *Stack) ensure(ctx context.Context, body []byte, params map[string]string) (*cfntypes.Stack, error) {
	desc, err := s.describe(ctx)
	if err != nil {
		return nil, err
	}
	if desc != nil {
		switch desc.StackStatus {
		case cfntypes.StackStatusCreateComplete, cfntypes.StackStatusUpdateComplete:
			return desc, nil
		case cfntypes.StackStatusRollbackComplete:
			// A failed first create leaves an empty stack that can only be
			// deleted; do that instead of making the user do it.
			if err := deleteStack(ctx, s.cfn, s.Name); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("stack exists in state %s; delete it or wait for it to settle", desc.StackStatus)
		}
	}
	return s.create(ctx, body, params)
}

// describe returns the stack, or nil when it does not exist.
func (s *Stack) describe(ctx context.Context) (*cfntypes.Stack, error) {
	out, err := s.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(s.Name)})
	if isStackMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe stack: %w", err)
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

func isStackMissing(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorMessage(), "does not exist")
}

func (s *Stack) create(ctx context.Context, body []byte, params map[string]string) (*cfntypes.Stack, error) {
	in := &cloudformation.CreateStackInput{
		StackName:    aws.String(s.Name),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{
			cfntypes.CapabilityCapabilityIam,
			cfntypes.CapabilityCapabilityNamedIam,
			cfntypes.CapabilityCapabilityAutoExpand,
		},
	}
	for k, v := range params {
		in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	if _, err := s.cfn.CreateStack(ctx, in); err != nil {
		return nil, fmt.Errorf("create stack: %w", err)
	}
	return s.waitCreated(ctx)
}

// waitCreated polls until the stack leaves CREATE_IN_PROGRESS and explains
// a failure with the reasons of the failed resources.
func (s *Stack) waitCreated(ctx context.Context) (*cfntypes.Stack, error) {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	for {
		desc, err := s.describe(ctx)
		if err != nil {
			return nil, err
		}
		if desc == nil {
			return nil, fmt.Errorf("stack vanished while being created")
		}
		switch status := desc.StackStatus; {
		case status == cfntypes.StackStatusCreateComplete:
			return desc, nil
		case status != cfntypes.StackStatusCreateInProgress:
			return nil, fmt.Errorf("create stack ended in %s: %s", status, s.failureReasons(ctx, desc))
		}
		if err := sleep.For(ctx, pollEvery); err != nil {
			return nil, fmt.Errorf("wait for stack: %w", err)
		}
	}
}

func (s *Stack) failureReasons(ctx context.Context, desc *cfntypes.Stack) string {
	reasons := []string{}
	if r := aws.ToString(desc.StackStatusReason); r != "" {
		reasons = append(reasons, r)
	}
	p := cloudformation.NewDescribeStackEventsPaginator(s.cfn, &cloudformation.DescribeStackEventsInput{StackName: desc.StackId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("(stack events unavailable: %v)", err))
			break
		}
		for _, e := range page.StackEvents {
			if strings.HasSuffix(string(e.ResourceStatus), "_FAILED") {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason)))
			}
		}
	}
	return strings.Join(reasons, "; ")
}

// load records the stack's identity, parameters and physical ids.
func (s *Stack) load(ctx context.Context, desc *cfntypes.Stack, params map[string]string) error {
	s.ID = aws.ToString(desc.StackId)
	arn := strings.Split(s.ID, ":")
	if len(arn) < 6 {
		return fmt.Errorf("unexpected stack id %q", s.ID)
	}
	s.partition, s.region, s.accountID = arn[1], arn[3], arn[4]

	// Effective parameters: the template defaults, then what the caller
	// asked for, then what the stack really has (it wins on reuse).
	s.params = map[string]string{}
	for name, p := range s.Template.Parameters {
		if p.HasDefault {
			s.params[name] = p.Default
		}
	}
	for k, v := range params {
		s.params[k] = v
	}
	for _, p := range desc.Parameters {
		s.params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}

	s.physical = map[string]string{}
	p := cloudformation.NewListStackResourcesPaginator(s.cfn, &cloudformation.ListStackResourcesInput{StackName: aws.String(s.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list stack resources: %w", err)
		}
		for _, r := range page.StackResourceSummaries {
			// Emulators list resources they did not create (SAM functions,
			// HTTP APIs) with empty ids; those have no physical id.
			if id, phys := aws.ToString(r.LogicalResourceId), aws.ToString(r.PhysicalResourceId); id != "" && phys != "" {
				s.physical[id] = phys
			}
		}
	}
	return nil
}

// Delete deletes stack stackName and waits until it is gone.
func Delete(ctx context.Context, cfg aws.Config, stackName string) error {
	if err := deleteStack(ctx, cloudformation.NewFromConfig(cfg), stackName); err != nil {
		return fmt.Errorf("delete stack %s: %w", stackName, err)
	}
	return nil
}

func deleteStack(ctx context.Context, cfn *cloudformation.Client, name string) error {
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("delete stack: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	for {
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if isStackMissing(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("wait for delete: %w", err)
		}
		if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete {
			return nil
		}
		if out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteFailed {
			return fmt.Errorf("delete failed: %s", aws.ToString(out.Stacks[0].StackStatusReason))
		}
		if err := sleep.For(ctx, pollEvery); err != nil {
			return fmt.Errorf("wait for delete: %w", err)
		}
	}
}

// Region is the stack's region.
func (s *Stack) Region() string { return s.region }

// AccountID is the stack's account (123456789012 on moto).
func (s *Stack) AccountID() string { return s.accountID }

// Partition is the stack's ARN partition, normally "aws".
func (s *Stack) Partition() string { return s.partition }

// Params returns the effective parameter values of the stack.
func (s *Stack) Params() map[string]string {
	out := make(map[string]string, len(s.params))
	for k, v := range s.params {
		out[k] = v
	}
	return out
}

// Physical returns the physical id of a resource, if the emulator created it.
func (s *Stack) Physical(logicalID string) (string, bool) {
	id, ok := s.physical[logicalID]
	return id, ok
}

// physicalOf returns the physical id of a resource of the given type.
func (s *Stack) physicalOf(logicalID, typ string) (string, error) {
	r, ok := s.Template.Resources[logicalID]
	if !ok {
		return "", fmt.Errorf("resource %s is not declared in the template", logicalID)
	}
	if typ != "" && r.Type != typ {
		return "", fmt.Errorf("resource %s is a %s, not a %s", logicalID, r.Type, typ)
	}
	phys, ok := s.physical[logicalID]
	if !ok {
		return "", fmt.Errorf("resource %s (%s) has no physical id in stack %s: the emulator did not create it", logicalID, r.Type, s.Name)
	}
	return phys, nil
}

// QueueURL returns the URL of an SQS queue as the configured endpoint serves
// it. Emulators report queue URLs on the real AWS host as physical ids, so
// the URL is looked up by queue name.
func (s *Stack) QueueURL(ctx context.Context, logicalID string) (string, error) {
	phys, err := s.physicalOf(logicalID, TypeQueue)
	if err != nil {
		return "", err
	}
	out, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(path.Base(phys))})
	if err != nil {
		return "", fmt.Errorf("queue %s: get url: %w", logicalID, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// QueueARN returns the ARN of an SQS queue.
func (s *Stack) QueueARN(ctx context.Context, logicalID string) (string, error) {
	attrs, err := s.QueueAttributes(ctx, logicalID, sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return "", err
	}
	return attrs[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// QueueAttributes returns attributes of an SQS queue.
func (s *Stack) QueueAttributes(ctx context.Context, logicalID string, names ...sqstypes.QueueAttributeName) (map[string]string, error) {
	url, err := s.QueueURL(ctx, logicalID)
	if err != nil {
		return nil, err
	}
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("queue %s: get attributes: %w", logicalID, err)
	}
	return out.Attributes, nil
}

// TableName returns the name of a DynamoDB table.
func (s *Stack) TableName(logicalID string) (string, error) {
	return s.physicalOf(logicalID, TypeTable)
}

// TableARN returns the ARN of a DynamoDB table.
func (s *Stack) TableARN(ctx context.Context, logicalID string) (string, error) {
	out, err := s.describeTable(ctx, logicalID)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Table.TableArn), nil
}

// TableStreamARN returns the ARN of a DynamoDB table's latest stream.
func (s *Stack) TableStreamARN(ctx context.Context, logicalID string) (string, error) {
	out, err := s.describeTable(ctx, logicalID)
	if err != nil {
		return "", err
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if arn == "" {
		return "", fmt.Errorf("table %s has no stream", logicalID)
	}
	return arn, nil
}

func (s *Stack) describeTable(ctx context.Context, logicalID string) (*dynamodb.DescribeTableOutput, error) {
	name, err := s.TableName(logicalID)
	if err != nil {
		return nil, err
	}
	out, err := s.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("table %s: describe: %w", logicalID, err)
	}
	return out, nil
}

// BucketName returns the name of an S3 bucket.
func (s *Stack) BucketName(logicalID string) (string, error) {
	return s.physicalOf(logicalID, TypeBucket)
}

// FunctionEnv resolves the environment of a function as Lambda would see
// it. When some variables cannot be resolved, the error names each of them
// and the map still holds the ones that could, so a caller may override the
// rest (an API URL, say) and go on.
func (s *Stack) FunctionEnv(ctx context.Context, logicalID string) (map[string]string, error) {
	fn, ok := s.Template.Function(logicalID)
	if !ok {
		return nil, fmt.Errorf("function %s is not declared in the template", logicalID)
	}
	r := s.resolver()
	env := make(map[string]string, len(fn.Environment))
	var errs []error
	for name, v := range fn.Environment {
		val, err := r.resolve(ctx, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("function %s: environment variable %s: %w", logicalID, name, err))
			continue
		}
		env[name] = val
	}
	return env, errors.Join(errs...)
}

// Resolve evaluates one template value (a scalar, Ref, Fn::GetAtt, Fn::Sub
// or Fn::Join) against the stack.
func (s *Stack) Resolve(ctx context.Context, v any) (string, error) {
	return s.resolver().resolve(ctx, v)
}

func (s *Stack) resolver() *resolver {
	return &resolver{
		tpl:    s.Template,
		params: s.params,
		pseudo: map[string]string{
			"AWS::StackName": s.Name,
			"AWS::StackId":   s.ID,
			"AWS::Region":    s.region,
			"AWS::AccountId": s.accountID,
			"AWS::Partition": s.partition,
			"AWS::URLSuffix": urlSuffix,
		},
		ref:    s.ref,
		getAtt: s.getAtt,
	}
}

// ref is Ref of a resource: what CloudFormation returns for each type.
func (s *Stack) ref(ctx context.Context, logicalID string) (string, error) {
	switch s.Template.Resources[logicalID].Type {
	case TypeQueue:
		return s.QueueURL(ctx, logicalID)
	default:
		return s.physicalOf(logicalID, "")
	}
}

func (s *Stack) getAtt(ctx context.Context, logicalID, attr string) (string, error) {
	typ := s.Template.Resources[logicalID].Type
	switch typ + "." + attr {
	case TypeQueue + ".Arn":
		return s.QueueARN(ctx, logicalID)
	case TypeQueue + ".QueueUrl":
		return s.QueueURL(ctx, logicalID)
	case TypeQueue + ".QueueName":
		phys, err := s.physicalOf(logicalID, TypeQueue)
		return path.Base(phys), err
	case TypeTable + ".Arn":
		return s.TableARN(ctx, logicalID)
	case TypeTable + ".StreamArn":
		return s.TableStreamARN(ctx, logicalID)
	case TypeBucket + ".Arn":
		name, err := s.BucketName(logicalID)
		return "arn:" + s.partition + ":s3:::" + name, err
	case TypeBucket + ".DomainName":
		name, err := s.BucketName(logicalID)
		return name + ".s3." + urlSuffix, err
	}
	return "", fmt.Errorf("Fn::GetAtt %s.%s (%s) is not supported by the local stack", logicalID, attr, typ)
}
