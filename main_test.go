package main

import (
	"os"
	"testing"
)

// unsetenv removes name for the test, restoring it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestQuietSDKLogsNobodyReads(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want map[string]string // "" means unset
	}{
		"no log asked for": {
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off"},
		},
		"TF_LOG asked for": {
			env:  map[string]string{"TF_LOG": "debug"},
			want: map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""},
		},
		"TF_LOG_PROVIDER asked for": {
			env:  map[string]string{"TF_LOG_PROVIDER": "trace"},
			want: map[string]string{"TF_LOG_SDK": "", "TF_LOG_SDK_PROTO": "", "TF_LOG_SDK_FRAMEWORK": ""},
		},
		"an SDK level set explicitly is kept": {
			env:  map[string]string{"TF_LOG_SDK_PROTO": "trace"},
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "trace", "TF_LOG_SDK_FRAMEWORK": "off"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, v := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, sdkLogLevels...) {
				unsetenv(t, v)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			quietSDKLogsNobodyReads()
			for k, want := range tc.want {
				if got := os.Getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
