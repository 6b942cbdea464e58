"""(placeholder: `kserve-gitops model add` registers here)."""
