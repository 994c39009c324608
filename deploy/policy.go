package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// policy is a CAM policy document (version 2.0). CAM takes action, resource and principal values as one
// string or a list of them.
type policy struct {
	Version   string `json:"version"`
	Statement []struct {
		Effect    string                `json:"effect"`
		Action    stringList            `json:"action"`
		Resource  stringList            `json:"resource"`
		Principal map[string]stringList `json:"principal"`
		Condition json.RawMessage       `json:"condition"`
	} `json:"statement"`
}

// stringList is a JSON string or array of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*s = many
	return nil
}

var (
	subscriptionResource = regexp.MustCompile(`^qcs::dts:[a-z]+(-[a-z0-9]+)+:uin/[0-9]+:subscribe/subs-[a-z0-9]+$`)
	roleResource         = regexp.MustCompile(`^qcs::cam::uin/[0-9]+:roleName/[A-Za-z0-9_+=,.@-]+$`)
)

func decodePolicy(content []byte) (policy, []Problem) {
	var p policy
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.DisallowUnknownFields() // a misspelled "resouce" would otherwise mean "no resource"
	if err := dec.Decode(&p); err != nil {
		return p, []Problem{{0, "not a CAM policy: " + err.Error()}}
	}
	var probs []Problem
	if p.Version != "2.0" {
		probs = append(probs, Problem{0, fmt.Sprintf("version: got %q, want \"2.0\"", p.Version)})
	}
	if len(p.Statement) == 0 {
		probs = append(probs, Problem{0, "no statement"})
	}
	for i, st := range p.Statement {
		if st.Effect != "allow" {
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: effect %q, want allow", i, st.Effect)})
		}
	}
	return p, probs
}

// CheckTrustPolicy checks the execution role's trust policy: SCF, and only SCF, may assume the role.
func CheckTrustPolicy(content []byte) []Problem {
	p, probs := decodePolicy(content)
	for i, st := range p.Statement {
		if !slices.Equal(st.Action, []string{"name/sts:AssumeRole"}) {
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: action %q, want [\"name/sts:AssumeRole\"]", i, st.Action)})
		}
		if len(st.Principal) != 1 || !slices.Equal(st.Principal["service"], []string{"scf.qcloud.com"}) {
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: principal %v, want {\"service\": [\"scf.qcloud.com\"]} (the role SCF assumes for the function)", i, st.Principal)})
		}
		if len(st.Resource) != 0 {
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: a trust policy has no resource", i)})
		}
	}
	return probs
}

// CheckDTSPolicy checks a permission policy for the execution role: exactly the DTS actions the function
// calls (want, as "dts:Action"), no wildcard; on "*" unless scoped, else on subscription resources only.
func CheckDTSPolicy(content []byte, want []string, scoped bool) []Problem {
	p, probs := decodePolicy(content)
	var got []string
	for i, st := range p.Statement {
		for _, a := range st.Action {
			a = strings.TrimPrefix(a, "name/")
			if strings.Contains(a, "*") {
				probs = append(probs, Problem{0, fmt.Sprintf("statement %d: action %q is a wildcard: grant the actions the function calls", i, a)})
			}
			got = append(got, a)
		}
		probs = append(probs, checkResources(i, st.Resource, scoped, subscriptionResource,
			"qcs::dts:<region>:uin/<uin>:subscribe/<SubscribeId>")...)
		if len(st.Principal) != 0 {
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: a permission policy has no principal", i)})
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		probs = append(probs, Problem{0, fmt.Sprintf("actions %q, want exactly %q (what the function calls)", got, want)})
	}
	return probs
}

// CheckAssumeRolePolicy checks the policy for DTS_ROLE_ARN: sts:AssumeRole on named roles, never "*".
func CheckAssumeRolePolicy(content []byte) []Problem {
	p, probs := decodePolicy(content)
	for i, st := range p.Statement {
		for _, a := range st.Action {
			if strings.TrimPrefix(a, "name/") != "sts:AssumeRole" {
				probs = append(probs, Problem{0, fmt.Sprintf("statement %d: action %q, want sts:AssumeRole only", i, a)})
			}
		}
		probs = append(probs, checkResources(i, st.Resource, true, roleResource, "qcs::cam::uin/<uin>:roleName/<role>")...)
	}
	return probs
}

func checkResources(i int, res []string, scoped bool, form *regexp.Regexp, spelled string) []Problem {
	if len(res) == 0 {
		return []Problem{{0, fmt.Sprintf("statement %d: no resource", i)}}
	}
	var probs []Problem
	for _, r := range res {
		switch {
		case !scoped && r != "*":
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: resource %q: this policy is the unscoped one (\"*\"); scoped resources go in the scoped policy", i, r)})
		case scoped && !form.MatchString(r):
			probs = append(probs, Problem{0, fmt.Sprintf("statement %d: resource %q, want the form %s", i, r, spelled)})
		}
	}
	return probs
}
