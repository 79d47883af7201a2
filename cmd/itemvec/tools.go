//go:build !worker

package main

import "github.com/spf13/cobra"

// toolCommands are the commands of the full build besides what a deployment
// runs: the embedded demo and benchmark, and the setup-time converters.
func toolCommands() []*cobra.Command {
	return []*cobra.Command{newRunCmd(), newBenchCmd(), newModelsCmd(), newCatalogCmd()}
}
