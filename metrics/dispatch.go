package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridcast/gridcast/dispatch"
)

// TaskActions counts the steps taken on departments' tasks (分拨): the
// dispatch itself and every accept, return, extension, resolution and
// cancel, by department and action. Build it with NewTaskActions; Observe
// is safe for concurrent use.
type TaskActions struct {
	c     *prometheus.CounterVec
	depts *bounded
}

// NewTaskActions registers gridcast_dispatch_task_actions_total on reg.
func NewTaskActions(reg prometheus.Registerer) (*TaskActions, error) {
	t := &TaskActions{
		c: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridcast_dispatch_task_actions_total",
			Help: "Steps on departments' tasks (dispatch, accept, return, request_extension, approve_extension, refuse_extension, resolve, cancel) by department code.",
		}, []string{"department", "action"}),
		depts: newBounded(MaxCodes),
	}
	if err := reg.Register(t.c); err != nil {
		return nil, err
	}
	return t, nil
}

// Observe counts one step; it is the desk's Deps.ObserveTask.
func (t *TaskActions) Observe(department string, action dispatch.Action) {
	t.c.WithLabelValues(t.depts.value(department), string(action)).Inc()
}
