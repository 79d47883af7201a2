package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
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
				if !hasFlag(sub, flag) {
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
			if !hasFlag(sub, flag) {
				t.Errorf("service %s: %s sets --%s, which itemvec %s does not have", name, key, flag, sub.Name())
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d flags: the compose file's shape changed and this test no longer reads it", checked)
	}
}

// TestDeployManifestsUseOnlyRealFlags does the same for the Kubernetes
// Deployments in docs/k8s: each container's args and ITEMVEC_* variables.
func TestDeployManifestsUseOnlyRealFlags(t *testing.T) {
	files, err := filepath.Glob("../../docs/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in docs/k8s (%v)", err)
	}
	checked := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc struct {
				Kind string `yaml:"kind"`
				Spec struct {
					Template struct {
						Spec struct {
							Containers []struct {
								Args []string `yaml:"args"`
								Env  []struct {
									Name string `yaml:"name"`
								} `yaml:"env"`
							} `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if doc.Kind != "Deployment" {
				continue
			}
			for _, c := range doc.Spec.Template.Spec.Containers {
				root := newRootCmd()
				sub, _, err := root.Find(c.Args[:1])
				if err != nil || sub == root {
					t.Errorf("%s: %q is not an itemvec command", file, c.Args[0])
					continue
				}
				for _, arg := range c.Args[1:] {
					if flag, ok := strings.CutPrefix(arg, "--"); ok {
						if !hasFlag(sub, flag) {
							t.Errorf("%s: itemvec %s has no flag --%s", file, sub.Name(), flag)
						}
						checked++
					}
				}
				for _, e := range c.Env {
					if env, ok := strings.CutPrefix(e.Name, "ITEMVEC_"); ok {
						flag := strings.ToLower(strings.ReplaceAll(env, "_", "-"))
						if !hasFlag(sub, flag) {
							t.Errorf("%s: %s sets --%s, which itemvec %s does not have", file, e.Name, flag, sub.Name())
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d flags in docs/k8s", checked)
	}
}

// hasFlag reports whether cmd takes --name, its own or inherited from the
// root (--log-format, --log-level).
func hasFlag(cmd *cobra.Command, name string) bool {
	return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
}
