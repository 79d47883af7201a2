package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/fusion/users"
	"github.com/itemvec/itemvec/storage/reader"
	"github.com/itemvec/itemvec/workers/recs"
)

func newUsersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Cross-device user vectors: build them from interaction events, show one, evaluate on synthetic users",
	}
	cmd.AddCommand(newUsersBuildCmd(), newUsersGetCmd(), newUsersEvalCmd())
	return cmd
}

// userSpecFlag loads --user-spec (empty: the built-in spec).
func userSpec(path string) (*users.Spec, error) {
	if path == "" {
		return users.DefaultSpec(), nil
	}
	return users.LoadSpec(path)
}

func newUsersBuildCmd() *cobra.Command {
	var (
		rf               redisFlags
		space, specPath  string
		events, stream   string
		restart, jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "build (--events FILE | --stream KEY)",
		Short: "Turn interaction events from every device into one vector per user, published under the space",
		Long: `users build reads interaction events — JSON lines
{"user","device","item","action":"view|click|cart|order","ts":unix-ms or RFC 3339}
from --events, or entries with those fields from the Redis stream --stream — and
publishes for every user the time-decayed, action-weighted mean of the vectors
of the items the user touched on any device, unit-normalised, as
itemvec:<space>:user:{<uid>} (announced on itemvec:<space>:user-updates).

A file is a full history: its users' vectors are rebuilt from its events. A
stream is read incrementally: from the entry after the last one a build read,
adding the new events to the stored vectors (--restart reads it from the start).
Lines that cannot be read and events naming items without a vector are left
out and reported; the rest still count. Half-life and action weights come from
the user spec (--user-spec FILE, default the built-in itemvec-users-v1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := userSpec(specPath)
			if err != nil {
				return err
			}
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			cfg := recs.UsersConfig{Space: space, Spec: spec, Stream: stream, Restart: restart, Logger: slog.Default()}
			if events != "" {
				f, err := os.Open(events)
				if err != nil {
					return err
				}
				defer f.Close()
				cfg.Events = f
			}
			rep, err := recs.BuildUsers(cmd.Context(), store, cfg)
			if err != nil {
				return err
			}
			for _, b := range rep.BadLines {
				fmt.Fprintf(cmd.ErrOrStderr(), "skipped: %v\n", b)
			}
			if jsonOut {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"space": space, "spec": spec.ID,
					"events": rep.Events, "users": rep.Users, "bad_lines": len(rep.BadLines), "unknown_items": rep.UnknownItems, "last_id": rep.LastID})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d user vectors from %d events (%s); %d lines skipped, %d items without a vector\n",
				space, rep.Users, rep.Events, spec.ID, len(rep.BadLines), len(rep.UnknownItems))
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "item space (default: itemvec:current)")
	cmd.Flags().StringVar(&specPath, "user-spec", "", "user spec JSON file (default: the built-in itemvec-users-v1)")
	cmd.Flags().StringVar(&events, "events", "", "JSON-lines file of events")
	cmd.Flags().StringVar(&stream, "stream", "", "Redis stream of events (read incrementally)")
	cmd.Flags().BoolVar(&restart, "restart", false, "with --stream: read the stream from its start and rebuild its users")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	cmd.MarkFlagsMutuallyExclusive("events", "stream")
	cmd.MarkFlagsOneRequired("events", "stream")
	return cmd
}

func newUsersGetCmd() *cobra.Command {
	var (
		rf    redisFlags
		space string
	)
	cmd := &cobra.Command{
		Use:   "get USER...",
		Short: "Print user vectors as JSON lines (exit 3 if any is missing)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, uids []string) error {
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			got, err := store.Users(cmd.Context(), space, uids...)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			missing := 0
			for i, u := range got {
				if u == nil {
					missing++
					if err := enc.Encode(map[string]any{"user": uids[i], "space": space, "error": "not found"}); err != nil {
						return err
					}
					continue
				}
				if err := enc.Encode(map[string]any{"user": u.User, "space": space, "dim": len(u.Vector), "spec": u.SpecID,
					"spec_hash": u.SpecHash, "events": u.Events, "devices": u.Devices, "excluded": u.Excluded,
					"last_event_at": u.Last.UTC(), "updated_at": u.UpdatedAt.UTC(), "vector": u.Vector}); err != nil {
					return err
				}
			}
			if missing > 0 {
				return exitError{code: 3}
			}
			return nil
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "item space (default: itemvec:current)")
	return cmd
}

func newRecommendCmd() *cobra.Command {
	var (
		rf              redisFlags
		space, specPath string
		device          string
		k               int
		jsonOut         bool
	)
	cmd := &cobra.Command{
		Use:   "recommend USER...",
		Short: "Print the top-K items for each user from the cross-device user vector, excluding ordered items",
		Long: `recommend ranks the items of the space by their cosine with the user's vector
(itemvec users build), leaving out the items the user ordered. --device adds the
user spec's device prior for that device to each score (items whose views come
more than average from that device move up a little); it never changes the
user's vector, which is the same on every device.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, uids []string) error {
			spec, err := userSpec(specPath)
			if err != nil {
				return err
			}
			rdb, _, space, err := rf.clientIn(cmd, space)
			if err != nil {
				return err
			}
			defer rdb.Close()
			rd := reader.New(rdb)
			results := make([][]reader.Result, len(uids))
			for i, uid := range uids {
				if results[i], _, err = rd.Recommend(cmd.Context(), space, uid, reader.RecommendOptions{K: k, Device: device, Spec: spec, Titles: true}); err != nil {
					return err
				}
			}
			source := "user vector"
			if device != "" {
				source += ", device prior " + device
			}
			return printResults(cmd.OutOrStdout(), jsonOut, space, source, uids, results)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "item space (default: itemvec:current)")
	cmd.Flags().StringVar(&specPath, "user-spec", "", "user spec JSON file whose device prior applies (default: built-in)")
	cmd.Flags().StringVar(&device, "device", "", "rank for this device (pc, mobile, tablet, ...): adds the device prior")
	cmd.Flags().IntVar(&k, "k", 10, "number of items per user")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "JSON lines (one per user) instead of a table")
	return cmd
}

func newUsersEvalCmd() *cobra.Command {
	var (
		rf              redisFlags
		space, specPath string
		eventsOut       string
		seed            uint64
		nUsers, k       int
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure on synthetic shoppers what the cross-device user vector gains over per-device vectors",
		Long: `users eval draws synthetic users over the items of the space from a fixed seed:
two interests each (an item and its nearest items), active on 2 or 3 devices.
For half of them ("split") each device saw mostly one of the two interests; for
the other half ("shared") every device saw both. Each user's next interaction
is held out. It prints, per population, overlap@K between the recommendations
of the unified vector and those of each device's events alone, and hit-rate@K
of the held-out interaction for the unified vector and for the vector of the
device it happened on. --events-out writes the training events as JSON lines
(for itemvec users build --events).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := userSpec(specPath)
			if err != nil {
				return err
			}
			store, space, closeStore, err := rf.storeIn(cmd, space)
			if err != nil {
				return err
			}
			defer closeStore()
			rep, sim, err := recs.Evaluate(cmd.Context(), store, space, spec, users.SimConfig{Seed: seed, Users: nUsers}, k)
			if err != nil {
				return err
			}
			if eventsOut != "" {
				f, err := os.Create(eventsOut)
				if err != nil {
					return err
				}
				enc := json.NewEncoder(f)
				for _, e := range sim.Train {
					if err := enc.Encode(e); err != nil {
						f.Close()
						return err
					}
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d synthetic users (seed %d), %d training events, spec %s\n",
				space, rep.All.Users, seed, len(sim.Train), spec.ID)
			return rep.Print(cmd.OutOrStdout())
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&space, "space", "", "item space (default: itemvec:current)")
	cmd.Flags().StringVar(&specPath, "user-spec", "", "user spec JSON file (default: the built-in itemvec-users-v1)")
	cmd.Flags().StringVar(&eventsOut, "events-out", "", "write the synthetic training events to this JSON-lines file")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed of the synthetic users")
	cmd.Flags().IntVar(&nUsers, "users", 400, "number of synthetic users")
	cmd.Flags().IntVar(&k, "k", 10, "recommendations per user")
	return cmd
}
