package event_test

import (
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
)

func ExampleDecoder_DecodeJSON() {
	cfg := collectors.ModelConfig{
		Name: "churn",
		Features: []collectors.FeatureConfig{
			{Name: "age", Type: drift.Numeric},
			{Name: "plan", Type: drift.Categorical},
		},
		Prediction: collectors.PredictionConfig{Kind: collectors.Binary, PositiveClass: "churn", Classes: []string{"stay", "churn"}},
	}
	cfg.Prediction.SetDefaults()
	cfg.Source.Fields.SetDefaults()
	dec, err := event.NewDecoder(cfg)
	if err != nil {
		panic(err)
	}
	messageTime := time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC)

	var ev event.Event
	payload := []byte(`{"id":"p-1","features":{"age":42,"plan":7},"score":0.81}`)
	if err := dec.DecodeJSON(&ev, event.KindPrediction, payload, messageTime); err != nil {
		panic(err)
	}
	fmt.Printf("id %s at %s\n", ev.ID, ev.Time.Format(time.RFC3339))
	fmt.Printf("age %v, plan %q\n", ev.Features[0].Num, ev.Features[1].Text)
	fmt.Printf("prediction %s (from score %v: %v)\n", ev.Prediction.Text, ev.Score, ev.PredictionFromScore)

	err = dec.DecodeJSON(&ev, event.KindPrediction, []byte(`{"id":"p-2","features":{"age":"42"},"prediction":"stay"}`), messageTime)
	fmt.Println(event.ReasonOf(err))
	fmt.Println(err)
	// Output:
	// id p-1 at 2026-03-14T09:27:00Z
	// age 42, plan "7"
	// prediction churn (from score 0.81: true)
	// wrong_type
	// event rejected: wrong_type: features.age: got a string "42", want a number
}
