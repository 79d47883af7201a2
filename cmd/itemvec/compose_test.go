package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/itemvec/itemvec/workers"
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
		where := "service " + name
		sub, n := checkCommand(t, where, command)
		checked += n
		if sub == nil {
			continue
		}
		for key := range svc.Environment {
			checked += checkEnv(t, where, sub, key)
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
				sub, n := checkCommand(t, file, c.Args)
				checked += n
				if sub == nil {
					continue
				}
				for _, e := range c.Env {
					checked += checkEnv(t, file, sub, e.Name)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d flags in docs/k8s", checked)
	}
}

// TestDeployManifestsServeTheScaledQueue checks that each worker
// Deployment in docs/k8s serves the queue its KEDA ScaledObject scales on:
// the queue of the space its args and ITEMVEC_* values give (what
// `itemvec worker --print-space` prints), or its --queue. A pool that polls
// another queue never drains the backlog that scales it up.
func TestDeployManifestsServeTheScaledQueue(t *testing.T) {
	files, err := filepath.Glob("../../docs/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in docs/k8s (%v)", err)
	}
	type container struct {
		Args []string `yaml:"args"`
		Env  []struct {
			Name      string    `yaml:"name"`
			Value     *string   `yaml:"value"`
			ValueFrom yaml.Node `yaml:"valueFrom"`
		} `yaml:"env"`
	}
	deployments := map[string][]container{}
	scaled := map[string][]string{} // Deployment name → the lists its triggers watch
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
				Spec struct {
					ScaleTargetRef struct {
						Name string `yaml:"name"`
					} `yaml:"scaleTargetRef"`
					Triggers []struct {
						Type     string            `yaml:"type"`
						Metadata map[string]string `yaml:"metadata"`
					} `yaml:"triggers"`
					Template struct {
						Spec struct {
							Containers []container `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			switch doc.Kind {
			case "Deployment":
				deployments[doc.Metadata.Name] = doc.Spec.Template.Spec.Containers
			case "ScaledObject":
				for _, tr := range doc.Spec.Triggers {
					if tr.Type == "redis" {
						scaled[doc.Spec.ScaleTargetRef.Name] = append(scaled[doc.Spec.ScaleTargetRef.Name], tr.Metadata["listName"])
					}
				}
			}
		}
	}
	checked := 0
	for name, containers := range deployments {
		lists := scaled[name]
		if len(lists) == 0 {
			t.Errorf("Deployment %s: no KEDA ScaledObject with a redis trigger scales it", name)
			continue
		}
		for _, c := range containers {
			if len(c.Args) == 0 || c.Args[0] != "worker" {
				continue
			}
			queue := ""
			args := append([]string(nil), c.Args...)
			for i, a := range args {
				if v, ok := strings.CutPrefix(a, "--queue="); ok {
					queue = v
				} else if a == "--queue" && i+1 < len(args) {
					queue = args[i+1]
				}
			}
			for _, e := range c.Env {
				if !strings.HasPrefix(e.Name, "ITEMVEC_") {
					continue
				}
				if e.Value == nil {
					continue // from a Secret: connection settings, not the space
				}
				if e.Name == "ITEMVEC_QUEUE" && queue == "" {
					queue = *e.Value
				}
				t.Setenv(e.Name, *e.Value)
			}
			if queue == "" {
				var out, errOut bytes.Buffer
				root := newRootCmd()
				root.SetArgs(append(args, "--print-space"))
				root.SetOut(&out)
				root.SetErr(&errOut)
				if err := root.ExecuteContext(t.Context()); err != nil {
					t.Fatalf("Deployment %s: itemvec %s --print-space: %v (%s)", name, strings.Join(args, " "), err, errOut.String())
				}
				queue = workers.QueueFor(strings.TrimSpace(out.String()))
			}
			want := "asynq:{" + queue + "}:pending"
			if !slices.Contains(lists, want) {
				t.Errorf("Deployment %s serves queue %q (its pending list %s), but KEDA scales it on %v", name, queue, want, lists)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Errorf("checked %d worker Deployments, want both pools (cpu, gpu)", checked)
	}
}

// TestDockerfileCommands checks the images' default commands (CMD: a real
// subcommand and its flags) and that no ENV sets a flag's ITEMVEC_*
// variable for a whole image: such a variable reaches every command with
// that flag name, e.g. ITEMVEC_DEVICE both the worker's --device (the
// execution provider) and recommend's (a shopper's device).
func TestDockerfileCommands(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	cmds, envs := 0, 0
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "CMD "); ok {
			var args []string
			if err := json.Unmarshal([]byte(rest), &args); err != nil || len(args) == 0 {
				t.Errorf("Dockerfile: %q: want the exec form, a JSON list (%v)", line, err)
				continue
			}
			checkCommand(t, fmt.Sprintf("Dockerfile: %q", line), args)
			cmds++
		}
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			for _, kv := range strings.Fields(rest) {
				key, _, _ := strings.Cut(kv, "=")
				flag, ok := envFlag(key)
				if !ok {
					continue
				}
				var with []string
				for _, c := range newRootCmd().Commands() {
					if c.Flags().Lookup(flag) != nil {
						with = append(with, c.Name())
					}
				}
				if len(with) > 0 {
					t.Errorf("Dockerfile: ENV %s sets --%s for every command of the image that has it (%s); pass the flag in CMD or per service",
						key, flag, strings.Join(with, ", "))
				}
				envs++
			}
		}
	}
	if cmds < 2 || envs < 2 {
		t.Errorf("read %d CMD and %d ITEMVEC_ ENV entries, want both images' (cpu, gpu): the Dockerfile's shape changed", cmds, envs)
	}
}

// checkCommand checks that args name an itemvec subcommand and that each
// --flag among them is one of its flags, reporting what is not (where says
// whose args they are). It returns the subcommand (nil if args name none)
// and how many flags it checked.
func checkCommand(t *testing.T, where string, args []string) (*cobra.Command, int) {
	t.Helper()
	root := newRootCmd()
	if len(args) == 0 {
		t.Errorf("%s: no itemvec command", where)
		return nil, 0
	}
	sub, _, err := root.Find(args[:1])
	if err != nil || sub == root {
		t.Errorf("%s: %q is not an itemvec command", where, args[0])
		return nil, 0
	}
	checked := 0
	for _, arg := range args[1:] {
		if flag, ok := strings.CutPrefix(arg, "--"); ok {
			flag, _, _ = strings.Cut(flag, "=")
			if !hasFlag(sub, flag) {
				t.Errorf("%s: itemvec %s has no flag --%s", where, sub.Name(), flag)
			}
			checked++
		}
	}
	return sub, checked
}

// checkEnv checks that the variable key, if an ITEMVEC_<FLAG> one, sets a
// flag of sub; it returns 1 when it checked one.
func checkEnv(t *testing.T, where string, sub *cobra.Command, key string) int {
	t.Helper()
	flag, ok := envFlag(key)
	if !ok {
		return 0
	}
	if !hasFlag(sub, flag) {
		t.Errorf("%s: %s sets --%s, which itemvec %s does not have", where, key, flag, sub.Name())
	}
	return 1
}

// envFlag is the flag ITEMVEC_<FLAG> sets (upper case, underscores for
// dashes, as applyEnv reads them); ok is false for other variables.
func envFlag(key string) (flag string, ok bool) {
	env, ok := strings.CutPrefix(key, "ITEMVEC_")
	return strings.ToLower(strings.ReplaceAll(env, "_", "-")), ok
}

// hasFlag reports whether cmd takes --name, its own or inherited from the
// root (--log-format, --log-level).
func hasFlag(cmd *cobra.Command, name string) bool {
	return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
}
