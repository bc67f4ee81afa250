package network

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A turn is one holder's at a time: a second taker waits until the first
// gives it back (however often its release is called) or its context
// ends, and then holds nothing.
func TestATurnIsOneHoldersAtATime(t *testing.T) {
	name := "test/" + t.Name()
	first, err := takeTurn(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := takeTurn(ctx, name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second taker while the turn is held: %v", err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := takeTurn(context.Background(), name)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("the turn was taken while held")
	case <-time.After(50 * time.Millisecond):
	}
	first()
	first() // a second release gives back nothing it does not hold
	second := <-got
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := takeTurn(ctx2, name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the first holder's second release let a third taker in beside the second: %v", err)
	}
	second()
	third, err := takeTurn(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	third()
}
