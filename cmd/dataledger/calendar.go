package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

// calendarCmd loads a year's official working-day calendar and shows which
// years the channels lack. Every deadline counted in working days (GD 23,
// HB 37, GX 12 …) needs the calendar of each year it reaches.
func calendarCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "calendar", Short: "Working-day calendars on the channels: load a year, show what is missing"}
	var channel, replace string
	load := &cobra.Command{
		Use:   "load FILE [--channel C]",
		Short: "Record a year's official working-day calendar (the State Council's holiday arrangement) on every channel, or on one",
		Long: `FILE is the year's calendar as JSON, in the form of chaincode/domain/calendars/2026.json:
  {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知（2026年11月…日）",
   "holidays": ["2027-01-01", …], "workdays": ["…"]}
"source" cites the notice the days come from; it is recorded with the calendar
and in the transaction's reason. Each channel's data authority records it; a
channel that has the same calendar already is left as it is; one that has
another calendar for the year is refused unless --replace gives the reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var cal domain.Calendar
			if err := strictjson.Unmarshal(raw, &cal); err != nil {
				return fmt.Errorf("%s is not a calendar: %w", args[0], err)
			}
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			return n.LoadCalendar(channel, cal, replace)
		},
	}
	load.Flags().StringVar(&channel, "channel", "", "only this channel (default: every channel)")
	load.Flags().StringVar(&replace, "replace", "", "replace another calendar of the year already loaded, for this reason (a corrected notice)")
	status := &cobra.Command{
		Use:   "status",
		Short: "The calendars the channels lack: this year's, and from 1 November next year's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openNet(cmd)
			if err != nil {
				return err
			}
			gaps, unread := n.CalendarGaps(time.Now())
			for ch, err := range unread {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: calendars not read: %v\n", ch, err)
			}
			for _, g := range gaps {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n  %s\n", g.Zh, g.Message)
			}
			if len(unread) > 0 {
				return fmt.Errorf("the calendars of %d channel(s) could not be read", len(unread))
			}
			if len(gaps) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "every channel has the working-day calendars its deadlines need")
				return nil
			}
			return &exitError{code: 1, err: fmt.Errorf("%d calendar(s) missing", len(gaps))}
		},
	}
	cmd.AddCommand(load, status)
	return cmd
}
