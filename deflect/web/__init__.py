"""The web layer: thin blueprints that turn HTTP into calls of the plain modules and back."""
