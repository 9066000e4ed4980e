package main

import (
	"bytes"
	"fmt"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// applyCRDs handles the CRD policies Helm itself lacks, as helm-controller does: Create on upgrade (Helm only
// creates CRDs on install) and CreateReplace (update CRDs that exist). Helm's own install path still handles plain
// Create on install. Returns whether it took charge of the CRDs, so the action should skip them.
func applyCRDs(cfg *action.Configuration, g *kubeGetter, ch *chart.Chart, policy string, upgrade bool) (bool, error) {
	if policy != "CreateReplace" && !(policy == "Create" && upgrade) {
		return false, nil
	}
	var all kube.ResourceList
	for _, crd := range ch.CRDObjects() {
		if crd.File == nil || len(crd.File.Data) == 0 {
			continue
		}
		res, err := cfg.KubeClient.Build(bytes.NewBuffer(crd.File.Data), false)
		if err != nil {
			return true, wrap(CodeChartInvalid, err, "CRD "+crd.Name)
		}
		if _, err := cfg.KubeClient.Create(res, kube.ClientCreateOptionServerSideApply(true, true)); err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return true, wrap(CodeReleaseFailed, err, "creating CRD "+crd.Name)
			}
			if policy == "CreateReplace" {
				if _, err := cfg.KubeClient.Update(res, res, kube.ClientUpdateOptionServerSideApply(true, true)); err != nil {
					return true, wrap(CodeReleaseFailed, err, "replacing CRD "+crd.Name)
				}
			}
		}
		all = append(all, res...)
	}
	if len(all) == 0 {
		return true, nil
	}
	waiter, err := cfg.KubeClient.GetWaiter(kube.StatusWatcherStrategy)
	if err != nil {
		return true, wrap(CodeInternal, err, "")
	}
	if err := waiter.Wait(all, time.Minute); err != nil {
		return true, wrap(CodeTimeout, err, fmt.Sprintf("waiting for %d CRD(s) to be established", len(all)))
	}
	// New kinds must be visible to the release's resources.
	g.discovery.Invalidate()
	return true, nil
}
