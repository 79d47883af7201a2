package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeUsesOnlyRealFlags checks every itemvec service of
// docker-compose.yml: its command names a real subcommand, and each --flag
// of the command and each ITEMVEC_<FLAG> variable of its environment is a
// flag of that subcommand.
func TestComposeUsesOnlyRealFlags(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     yaml.Node         `yaml:"command"` // a list for itemvec, a string for others
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	checked := 0
	for name, svc := range compose.Services {
		var command []string
		if !strings.HasPrefix(svc.Image, "itemvec:") || svc.Command.Decode(&command) != nil || len(command) == 0 {
			continue
		}
		root := newRootCmd()
		sub, _, err := root.Find(command[:1])
		if err != nil || sub == root {
			t.Errorf("service %s: %q is not an itemvec command", name, command[0])
			continue
		}
		for _, arg := range command[1:] {
			if flag, ok := strings.CutPrefix(arg, "--"); ok {
				flag, _, _ = strings.Cut(flag, "=")
				if sub.Flags().Lookup(flag) == nil {
					t.Errorf("service %s: itemvec %s has no flag --%s", name, sub.Name(), flag)
				}
				checked++
			}
		}
		for key := range svc.Environment {
			env, ok := strings.CutPrefix(key, "ITEMVEC_")
			if !ok {
				continue
			}
			flag := strings.ToLower(strings.ReplaceAll(env, "_", "-"))
			if sub.Flags().Lookup(flag) == nil {
				t.Errorf("service %s: %s sets --%s, which itemvec %s does not have", name, key, flag, sub.Name())
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d flags: the compose file's shape changed and this test no longer reads it", checked)
	}
}
