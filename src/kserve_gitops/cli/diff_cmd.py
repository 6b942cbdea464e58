"""(placeholder: this module registers its command on ``cli`` when implemented)."""
