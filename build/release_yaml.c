/* release_yaml.c - reading a buildpack's bin/release output with libyaml.
 *
 * Heroku's buildpack API: bin/release prints YAML with optional keys
 * "config_vars" and "default_process_types", each a mapping of strings; "addons"
 * and unknown keys are ignored. An empty output is an empty release. */
#include <string.h>
#include <yaml.h>

#include "build/internal.h"

void buildpack_release_free(struct buildpack_release *rel)
{
	proctypes_free(&rel->default_process_types);
	strv_free(&rel->config_vars);
}

static const char *scalar(yaml_document_t *doc, yaml_node_t *node)
{
	(void)doc;
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* Visit each string pair of a mapping node; non-scalar values are an error. */
static int each_pair(yaml_document_t *doc, yaml_node_t *map, const char *what,
		     struct buildpack_release *out, bool is_config, struct berr *err)
{
	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
		return 0;  /* "key:" with nothing after it */
	if (map->type != YAML_MAPPING_NODE)
		return berr_fail(err, "bin/release: '%s' must be a mapping (line %zu)", what,
				 map->start_mark.line + 1);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		const char *v = scalar(doc, yaml_document_get_node(doc, p->value));

		if (!k || !v)
			return berr_fail(err, "bin/release: entries of '%s' must be 'name: string' (line %zu)",
					 what, map->start_mark.line + 1);
		if (is_config) {
			if (!env_name_valid(k))
				return berr_fail(err, "bin/release: a config var name in '%s' (line %zu) is not valid",
						 what, map->start_mark.line + 1);
			strv_setenv(&out->config_vars, k, v);
		} else {
			/* The Procfile's rules: the name reaches the formation, cgroup and
			 * log names. It is not echoed: it may hold anything. */
			if (!proctype_name_valid(k, strlen(k)))
				return berr_fail(err, "bin/release: a process type name in '%s' (line %zu) is not valid: use letters, digits, '_' or '-'",
						 what, map->start_mark.line + 1);
			proctypes_set(&out->default_process_types, k, v);
		}
	}
	return 0;
}

int release_yaml_parse(const char *text, size_t len, struct buildpack_release *out,
		       struct berr *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser))
		return berr_fail(err, "bin/release: cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = berr_fail(err, "bin/release: bad YAML at line %zu: %s",
			      parser.problem_mark.line + 1,
			      parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     r == 0 && p < root->data.mapping.pairs.top; p++) {
			const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);

			if (k && !strcmp(k, "config_vars"))
				r = each_pair(&doc, v, k, out, true, err);
			else if (k && !strcmp(k, "default_process_types"))
				r = each_pair(&doc, v, k, out, false, err);
		}
	} else if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
		r = berr_fail(err, "bin/release: output must be a YAML mapping");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r < 0)
		buildpack_release_free(out);
	return r;
}
