//go:build !worker

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/workers/demo/catalog"
)

func newCatalogCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Prepare the sample catalog"}
	var cfg catalog.PrepareConfig
	prepare := &cobra.Command{
		Use:   "prepare --photos DIR --texts FILE --out DIR",
		Short: "Build the sample catalog (images, near-duplicates, manifest) make run uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sum, err := catalog.Prepare(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			return nil
		},
	}
	prepare.Flags().StringVar(&cfg.PhotosDir, "photos", "", "folder of source photos (make setup: .deps/photos)")
	prepare.Flags().StringVar(&cfg.TextsPath, "texts", "", "product texts JSON written by testdata/catalog/texts.cjs")
	prepare.Flags().StringVar(&cfg.OutDir, "out", "", "output folder")
	prepare.Flags().Int64Var(&cfg.Seed, "seed", 7, "seed of the behaviour counters")
	for _, f := range []string{"photos", "texts", "out"} {
		_ = prepare.MarkFlagRequired(f)
	}
	var photos, out string
	large := &cobra.Command{
		Use:   "large --photos DIR --out DIR",
		Short: "Write the large photo set (1000 and 2000 px JPEGs) itemvec bench --set large runs on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := catalog.PrepareLarge(photos, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d large photos in %s\n", len(files), out)
			return nil
		},
	}
	large.Flags().StringVar(&photos, "photos", "", "folder of source photos (make setup: .deps/photos)")
	large.Flags().StringVar(&out, "out", "", "output folder")
	for _, f := range []string{"photos", "out"} {
		_ = large.MarkFlagRequired(f)
	}
	cmd.AddCommand(prepare, large)
	return cmd
}
