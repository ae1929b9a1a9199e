"""OpenAlex as a source: the snapshot layout (layout.py), the SQL that reads it (sql.py), the build stage
(stage.py), links to talentflow's papers and authorships (links.py) and the country agreement report
(agreement.py). The API sync is in sources/openalex.py."""
