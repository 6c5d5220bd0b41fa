package stack

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// resolver turns intrinsic values of the template into strings. The
// resource lookups are functions so that parsing and !Sub rules can be
// tested without an emulator.
type resolver struct {
	tpl    *Template
	params map[string]string // effective parameter values
	pseudo map[string]string // AWS::StackName, AWS::Region, ...
	ref    func(ctx context.Context, logicalID string) (string, error)
	getAtt func(ctx context.Context, logicalID, attr string) (string, error)
}

// resolve evaluates v: a scalar, or one of Ref, Fn::GetAtt, Fn::Sub and
// Fn::Join. Anything else is an error that names the construct.
func (r *resolver) resolve(ctx context.Context, v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return scalarString(v)
	}
	if len(m) != 1 {
		return "", fmt.Errorf("want a scalar or one intrinsic function, got a mapping with keys %s", keys(m))
	}
	var (
		fn  string
		arg any
	)
	for k, v := range m {
		fn, arg = k, v
	}
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return "", fmt.Errorf("reference: want a name, got %v", arg)
		}
		return r.resolveRef(ctx, name)
	case "Fn::GetAtt":
		return r.resolveGetAtt(ctx, arg)
	case "Fn::Sub":
		return r.resolveSub(ctx, arg)
	case "Fn::Join":
		return r.resolveJoin(ctx, arg)
	}
	return "", fmt.Errorf("%s is not supported by the local stack", fn)
}

func (r *resolver) resolveRef(ctx context.Context, name string) (string, error) {
	if v, ok := r.pseudo[name]; ok {
		return v, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return "", fmt.Errorf("pseudo parameter %s is not supported by the local stack", name)
	}
	if _, ok := r.tpl.Parameters[name]; ok {
		v, ok := r.params[name]
		if !ok {
			return "", fmt.Errorf("parameter %s has no value and no Default", name)
		}
		return v, nil
	}
	if _, ok := r.tpl.Resources[name]; ok {
		return r.ref(ctx, name)
	}
	return "", fmt.Errorf("reference %s: no such parameter or resource", name)
}

func (r *resolver) resolveGetAtt(ctx context.Context, arg any) (string, error) {
	args, ok := arg.([]any)
	if !ok || len(args) != 2 {
		return "", fmt.Errorf("Fn::GetAtt: want [Resource, Attribute], got %v", arg)
	}
	res, ok1 := args[0].(string)
	attr, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("Fn::GetAtt: want literal names, got %v", arg)
	}
	if _, ok := r.tpl.Resources[res]; !ok {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: no such resource", res, attr)
	}
	return r.getAtt(ctx, res, attr)
}

func (r *resolver) resolveJoin(ctx context.Context, arg any) (string, error) {
	args, ok := arg.([]any)
	if !ok || len(args) != 2 {
		return "", fmt.Errorf("Fn::Join: want [delimiter, [values]], got %v", arg)
	}
	delim, ok := args[0].(string)
	if !ok {
		return "", fmt.Errorf("Fn::Join: delimiter must be a string, got %v", args[0])
	}
	list, ok := args[1].([]any)
	if !ok {
		return "", fmt.Errorf("Fn::Join: values must be a literal list, got %v", args[1])
	}
	parts := make([]string, 0, len(list))
	for i, e := range list {
		s, err := r.resolve(ctx, e)
		if err != nil {
			return "", fmt.Errorf("Fn::Join value %d: %w", i, err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, delim), nil
}

// resolveSub evaluates Fn::Sub in its string form and its
// [string, {Var: value}] form.
func (r *resolver) resolveSub(ctx context.Context, arg any) (string, error) {
	var (
		format string
		vars   map[string]any
	)
	switch x := arg.(type) {
	case string:
		format = x
	case []any:
		if len(x) != 2 {
			return "", fmt.Errorf("Fn::Sub: want [string, {variables}], got %d elements", len(x))
		}
		s, ok := x[0].(string)
		m, ok2 := x[1].(map[string]any)
		if !ok || !ok2 {
			return "", fmt.Errorf("Fn::Sub: want [string, {variables}], got %v", arg)
		}
		format, vars = s, m
	default:
		return "", fmt.Errorf("Fn::Sub: want a string or a list, got %T", arg)
	}
	return substitute(format, func(name string) (string, error) {
		if v, ok := vars[name]; ok {
			return r.resolve(ctx, v)
		}
		return r.subVar(ctx, name)
	})
}

// subVar resolves a ${Name} or ${Resource.Attribute} of Fn::Sub.
func (r *resolver) subVar(ctx context.Context, name string) (string, error) {
	if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
		return r.resolveGetAtt(ctx, []any{res, attr})
	}
	return r.resolveRef(ctx, name)
}

// substitute replaces each ${Name} in format with lookup(Name); ${!Literal}
// stands for the literal text ${Literal}.
func substitute(format string, lookup func(string) (string, error)) (string, error) {
	var b strings.Builder
	for {
		start := strings.Index(format, "${")
		if start < 0 {
			b.WriteString(format)
			return b.String(), nil
		}
		end := strings.Index(format[start:], "}")
		if end < 0 {
			return "", fmt.Errorf("Fn::Sub: unterminated ${ in %q", format)
		}
		end += start
		b.WriteString(format[:start])
		name := format[start+2 : end]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
		} else {
			v, err := lookup(strings.TrimSpace(name))
			if err != nil {
				return "", fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
			}
			b.WriteString(v)
		}
		format = format[end+1:]
	}
}

func keys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
