"""(placeholder: platform components register here with @component)."""
