package event

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// churnNumeric and churnCategorical are the features of the churn model
// whose events are in testdata/prediction20.json.
var (
	churnNumeric = []string{"age", "tenure_months", "monthly_charges", "total_charges", "num_support_calls",
		"avg_session_minutes", "days_since_last_login", "num_devices", "data_usage_gb", "discount_pct",
		"lifetime_value", "credit_score"}
	churnCategorical = []string{"contract", "payment_method", "plan", "region", "gender", "has_partner",
		"internet_service", "referral_source"}
)

// churnConfig returns the configuration of a binary churn model with 12
// numeric and 8 categorical features, labels enabled and the default field
// mapping.
func churnConfig() collectors.ModelConfig {
	cfg := collectors.ModelConfig{Name: "churn", Version: "v1"}
	for _, n := range churnNumeric {
		cfg.Features = append(cfg.Features, collectors.FeatureConfig{Name: n, Type: drift.Numeric})
	}
	for _, n := range churnCategorical {
		cfg.Features = append(cfg.Features, collectors.FeatureConfig{Name: n, Type: drift.Categorical})
	}
	cfg.Prediction = collectors.PredictionConfig{Kind: collectors.Binary, PositiveClass: "churn", Classes: []string{"stay", "churn"}}
	cfg.Prediction.SetDefaults()
	cfg.Label.SetDefaults()
	cfg.Label.Enabled = true
	cfg.Source.Fields.SetDefaults()
	return cfg
}

func newTestDecoder(t testing.TB, cfg collectors.ModelConfig) *Decoder {
	t.Helper()
	d, err := NewDecoder(cfg)
	require.NoError(t, err)
	return d
}

func readPayload(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/prediction20.json")
	require.NoError(t, err)
	return b
}

// kafkaTime is the fallback time the tests pass, as a Kafka message time.
var kafkaTime = time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC)
