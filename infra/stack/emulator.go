package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
)

// Resource types the local runtime stands in for: the emulator must not
// create them (LocalStack would run the SAM transform, which rejects a local
// CodeUri, and its event source mappings would compete with the local
// pollers), so EmulatorBody leaves them out.
var localRuntimeTypes = map[string]bool{
	TypeFunction:               true,
	"AWS::Serverless::HttpApi": true,
	"AWS::Serverless::Api":     true,
}

// awsOnlyTypes are resources that exist only in AWS: alarms watch metrics
// that the emulator never produces, and moto's CloudFormation cannot create
// them. EmulatorBody leaves them out too.
var awsOnlyTypes = map[string]bool{
	"AWS::CloudWatch::Alarm": true,
}

// EmulatorBody derives from the parsed template the CloudFormation body the
// emulator gets: plain CloudFormation (no Transform, no Globals), without the
// functions and APIs the local runtime replaces, without the alarms, and without every resource,
// condition-free output or DependsOn entry that refers to them (transitively).
// The same body deploys on moto and on LocalStack. Parameters are all kept,
// including those only the functions' environment uses: the stack records the
// values a run was given, and FunctionEnv resolves the environment with them.
func (t *Template) EmulatorBody() ([]byte, error) {
	dropped, err := t.emulatorDropped()
	if err != nil {
		return nil, err
	}
	root := maps.Clone(t.raw)
	delete(root, "Transform")
	delete(root, "Globals")

	resources := map[string]any{}
	for id, v := range asMap(t.raw["Resources"]) {
		if dropped[id] {
			continue
		}
		resources[id] = withoutDependsOn(asMap(v), dropped)
	}
	root["Resources"] = resources

	outputs := map[string]any{}
	for name, v := range t.Outputs {
		if !refersToAny(v, dropped) {
			outputs[name] = v
		}
	}
	delete(root, "Outputs")
	if len(outputs) > 0 {
		root["Outputs"] = outputs
	}
	if conds := usedConditions(root); len(conds) > 0 {
		root["Conditions"] = conds
	} else {
		delete(root, "Conditions")
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("emulator template: %w", err)
	}
	return b, nil
}

// usedConditions returns the template's conditions that what the body keeps
// still uses: a condition only dropped resources used (the alarms' topic)
// would be an unused condition, which cfn-lint warns about.
func usedConditions(root map[string]any) map[string]any {
	all := asMap(root["Conditions"])
	used := map[string]any{}
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e)
			}
		case map[string]any:
			for k, e := range x {
				name := ""
				switch k {
				case "Condition":
					name = asString(e)
				case "Fn::If":
					if args, ok := e.([]any); ok && len(args) > 0 {
						name = asString(args[0])
					}
				}
				if c, ok := all[name]; ok && used[name] == nil {
					used[name] = c
					visit(c)
				}
				visit(e)
			}
		}
	}
	visit(root["Resources"])
	visit(root["Outputs"])
	return used
}

// EmulatorResourceIDs returns the logical ids EmulatorBody keeps, sorted.
func (t *Template) EmulatorResourceIDs() ([]string, error) {
	dropped, err := t.emulatorDropped()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range t.LogicalIDs("") {
		if !dropped[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// emulatorDropped returns the resources the emulator does not get: the
// local runtime's types, then whatever refers to a dropped resource, until
// nothing changes. Any other SAM type is an error: without the transform
// the emulator could not create it, and dropping it would lose a resource.
func (t *Template) emulatorDropped() (map[string]bool, error) {
	dropped := map[string]bool{}
	for id, r := range t.Resources {
		switch {
		case localRuntimeTypes[r.Type], awsOnlyTypes[r.Type]:
			dropped[id] = true
		case strings.HasPrefix(r.Type, "AWS::Serverless::"):
			return nil, fmt.Errorf("resource %s: %s needs the SAM transform, which the emulator body leaves out", id, r.Type)
		}
	}
	for changed := true; changed; {
		changed = false
		for id, r := range t.Resources {
			if dropped[id] || !refersToAny(r.Properties, dropped) {
				continue
			}
			dropped[id], changed = true, true
		}
	}
	return dropped, nil
}

// withoutDependsOn returns the resource without DependsOn entries naming a
// dropped resource: ordering against something that is not created is moot.
func withoutDependsOn(r map[string]any, dropped map[string]bool) map[string]any {
	deps, err := stringList(r["DependsOn"])
	if err != nil || len(deps) == 0 {
		return r
	}
	kept := []any{}
	for _, d := range deps {
		if !dropped[d] {
			kept = append(kept, d)
		}
	}
	out := maps.Clone(r)
	delete(out, "DependsOn")
	if len(kept) > 0 {
		out["DependsOn"] = kept
	}
	return out
}

// subVar matches ${Name} and ${Name.Attr} in an Fn::Sub string (not ${!Literal}).
var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`)

// refersToAny reports whether a template value refers to one of ids through
// Ref, Fn::GetAtt or an Fn::Sub variable.
func refersToAny(v any, ids map[string]bool) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if refersToAny(e, ids) {
				return true
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if refersToIntrinsic(k, x[k], ids) || refersToAny(x[k], ids) {
				return true
			}
		}
	}
	return false
}

func refersToIntrinsic(fn string, arg any, ids map[string]bool) bool {
	switch fn {
	case "Ref":
		return ids[asString(arg)]
	case "Fn::GetAtt":
		if s, ok := arg.(string); ok {
			res, _, _ := strings.Cut(s, ".")
			return ids[res]
		}
		args, _ := arg.([]any)
		return len(args) > 0 && ids[asString(args[0])]
	case "Fn::Sub":
		s := asString(arg)
		if args, ok := arg.([]any); ok && len(args) > 0 {
			s = asString(args[0])
		}
		for _, m := range subVar.FindAllStringSubmatch(s, -1) {
			if ids[m[1]] {
				return true
			}
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
