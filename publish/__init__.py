"""newsdesk Datasette plugins and templates."""
