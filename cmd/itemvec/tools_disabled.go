//go:build worker

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// toolCommands, in the worker build, are stand-ins that say where the
// commands went: the binary was built with -tags worker, without the demo
// and the converters.
func toolCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, name := range []string{"run", "bench", "models", "catalog"} {
		cmds = append(cmds, &cobra.Command{
			Use:                name,
			Short:              "not in this build (-tags worker); use the full build: make build",
			Hidden:             true,
			DisableFlagParsing: true,
			RunE: func(*cobra.Command, []string) error {
				return fmt.Errorf("itemvec %s is not in this binary: it was built with -tags worker (a deployment's worker, without the demo and the setup-time converters); build the full one with make build", name)
			},
		})
	}
	return cmds
}
