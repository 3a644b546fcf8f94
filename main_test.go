package main

import (
	"math"
	"os"
	"runtime/debug"
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

func TestCollectGarbageLessOften(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	t.Run("defaults", func(t *testing.T) {
		unsetenv(t, "GOGC")
		unsetenv(t, "GOMEMLIMIT")
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		collectGarbageLessOften()
		if got := debug.SetGCPercent(100); got != gcPercent {
			t.Errorf("GC percent %d, want %d", got, gcPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != memoryLimit {
			t.Errorf("memory limit %d, want %d", got, memoryLimit)
		}
	})
	t.Run("the user's settings are kept", func(t *testing.T) {
		t.Setenv("GOGC", "150")
		t.Setenv("GOMEMLIMIT", "1GiB")
		debug.SetGCPercent(150)
		debug.SetMemoryLimit(1 << 30)
		collectGarbageLessOften()
		if got := debug.SetGCPercent(150); got != 150 {
			t.Errorf("GC percent %d, want the user's 150", got)
		}
		if got := debug.SetMemoryLimit(-1); got != 1<<30 {
			t.Errorf("memory limit %d, want the user's 1 GiB", got)
		}
	})
}
