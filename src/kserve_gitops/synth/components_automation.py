"""(placeholder: Argo Workflows automation components register here with @component)."""
