// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading network ACLs: the JSON `aws ec2 describe-network-acls` prints,
 * and the short text form of docs/acl.md. Strict: anything malformed is
 * refused with the file, the entry and the field named. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "acl.h"
#include "util.h"

#define MAX_FILE_BYTES (16 << 20)

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void acl_set_free(struct acl_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		acl_free(&set->acls[i]);
	free(set->acls);
	set->acls = NULL;
	set->n = 0;
}

static struct acl *set_new_acl(struct acl_set *set, const char *id)
{
	struct acl *n = realloc(set->acls, (set->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	set->acls = n;
	n = &set->acls[set->n++];
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->role = -1;
	return n;
}

static bool set_has(const struct acl_set *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->acls[i].id, id))
			return true;
	return false;
}

const struct acl *acl_set_find(const struct acl_set *set, const char *id)
{
	size_t i;
	int j;

	if (!id)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->acls[i].id, id))
			return &set->acls[i];
	for (i = 0; i < set->n; i++)
		for (j = 0; j < set->acls[i].n_subnets; j++)
			if (!strcmp(set->acls[i].subnets[j], id))
				return &set->acls[i];
	if (!strcmp(id, "public"))
		return acl_set_role(set, ACL_PUBLIC);
	if (!strcmp(id, "private"))
		return acl_set_role(set, ACL_PRIVATE);
	return NULL;
}

const struct acl *acl_set_role(const struct acl_set *set, enum acl_subnet role)
{
	const struct acl *found = NULL;
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->acls[i].role != (int)role)
			continue;
		if (found)
			return NULL;
		found = &set->acls[i];
	}
	return found;
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= ACL_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("-_.:", s[i])))
			return false;
	return true;
}

/* ---- text form ---- */

static char *next_token(char **p)
{
	char *s = *p, *t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	t = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return t;
}

static int text_line(const char *name, unsigned int ln, char *line,
		     struct acl_set *set, struct acl **cur, char *err, size_t len)
{
	char *tok[8], *p = line, *hash = strchr(line, '#');
	const char *field;
	struct acl_entry e;
	int n = 0, ret;

	if (hash)
		*hash = '\0';
	while (n < 8 && (tok[n] = next_token(&p)))
		n++;
	if (!n)
		return 0;
	if (next_token(&p))
		return fail(err, len, "%s:%u: too many words (at most 7)", name,
			    ln);

	if (!strcmp(tok[0], "acl")) {
		if (n < 2 || n > 3)
			return fail(err, len,
				    "%s:%u: expected 'acl ID [public|private]'",
				    name, ln);
		if (!valid_id(tok[1]))
			return fail(err, len,
				    "%s:%u: acl: bad id '%s' (letters, digits, - _ . :, at most %d)",
				    name, ln, tok[1], ACL_ID_LEN - 1);
		if (set_has(set, tok[1]))
			return fail(err, len, "%s:%u: acl %s: defined twice",
				    name, ln, tok[1]);
		if (n == 3 && strcmp(tok[2], "public") &&
		    strcmp(tok[2], "private"))
			return fail(err, len,
				    "%s:%u: acl %s: role '%s': expected public or private",
				    name, ln, tok[1], tok[2]);
		*cur = set_new_acl(set, tok[1]);
		if (!*cur)
			return fail(err, len, "%s: out of memory", name);
		if (n == 3)
			(*cur)->role = !strcmp(tok[2], "public") ? ACL_PUBLIC
								 : ACL_PRIVATE;
		return 0;
	}
	if (!strcmp(tok[0], "subnet")) {
		if (!*cur)
			return fail(err, len,
				    "%s:%u: 'subnet' before any 'acl ID' line",
				    name, ln);
		if (n != 2 || !valid_id(tok[1]))
			return fail(err, len,
				    "%s:%u: acl %s: expected 'subnet SUBNET-ID'",
				    name, ln, (*cur)->id);
		if ((*cur)->n_subnets == ACL_MAX_SUBNETS)
			return fail(err, len,
				    "%s:%u: acl %s: more than %d subnets", name,
				    ln, (*cur)->id, ACL_MAX_SUBNETS);
		snprintf((*cur)->subnets[(*cur)->n_subnets++], ACL_ID_LEN, "%s",
			 tok[1]);
		return 0;
	}

	memset(&e, 0, sizeof(e));
	if (!strcmp(tok[0], "inbound") || !strcmp(tok[0], "in"))
		e.dir = ACL_INBOUND;
	else if (!strcmp(tok[0], "outbound") || !strcmp(tok[0], "out"))
		e.dir = ACL_OUTBOUND;
	else
		return fail(err, len,
			    "%s:%u: unknown line '%s': expected acl, subnet, inbound or outbound",
			    name, ln, tok[0]);
	if (!*cur)
		return fail(err, len, "%s:%u: entry before any 'acl ID' line",
			    name, ln);
	if (n < 5 || n > 6)
		return fail(err, len,
			    "%s:%u: acl %s, %s entry: expected '%s RULE allow|deny PROTO [PORTS] CIDR'",
			    name, ln, (*cur)->id, tok[0], tok[0]);

#define BAD(f, ...)                                                   \
	fail(err, len, "%s:%u: acl %s, %s rule %s: %s: " f, name, ln, \
	     (*cur)->id, acl_dir_name(e.dir), tok[1], field, __VA_ARGS__)
	{
		uint64_t rule;

		field = "rule";
		if (fv_parse_u64(tok[1], 1, ACL_RULE_MAX, &rule))
			return BAD("'%s' is not a rule number (1-%d)", tok[1],
				   ACL_RULE_MAX);
		e.rule = rule;
	}
	field = "action";
	if (!strcmp(tok[2], "allow"))
		e.allow = true;
	else if (strcmp(tok[2], "deny"))
		return BAD("'%s': expected allow or deny", tok[2]);
	field = "protocol";
	if (acl_proto_parse(tok[3], &e.proto))
		return BAD("unknown protocol '%s' (udp, tcp, icmp, icmpv6, all, or 0-255)",
			   tok[3]);
	e.port_from = 0;
	e.port_to = 65535;
	if (n == 6) {
		field = "ports";
		if (e.proto != ACL_PROTO_TCP && e.proto != ACL_PROTO_UDP)
			return BAD("'%s' given, but only tcp and udp have ports",
				   tok[4]);
		if (acl_ports_parse(tok[4], &e.port_from, &e.port_to))
			return BAD("'%s' is not a port range (N or N-M within 0-65535)",
				   tok[4]);
	} else if (e.proto == ACL_PROTO_TCP || e.proto == ACL_PROTO_UDP) {
		field = "ports";
		return BAD("missing for %s", tok[3]);
	}
	field = "cidr";
	if (acl_cidr_parse(tok[n - 1], false, &e.cidr))
		return BAD("'%s' is not a CIDR block (a.b.c.d/0-32 or IPv6/0-128, no host bits)",
			   tok[n - 1]);
	ret = acl_add(*cur, &e);
	if (ret == -EEXIST) {
		field = "rule";
		return BAD("%s is used twice in the %s entries", tok[1],
			   acl_dir_name(e.dir));
	}
#undef BAD
	return ret ? fail(err, len, "%s: out of memory", name) : 0;
}

int acl_load_text(const char *name, const char *text, struct acl_set *set,
		  char *err, size_t errlen)
{
	char *copy = strdup(text), *line;
	struct acl *cur = NULL;
	unsigned int ln = 0;
	const char *p;
	int ret = 0;

	memset(set, 0, sizeof(*set));
	if (!copy)
		return fail(err, errlen, "%s: out of memory", name);
	/* Line by line in a copy, so errors can give the line number. */
	for (p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		ln++;
		line = copy + (p - text);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		ret = text_line(name, ln, line, set, &cur, err, errlen);
		if (ret)
			break;
		p += n + (nl ? 1 : 0);
	}
	free(copy);
	if (!ret && !set->n)
		ret = fail(err, errlen,
			   "%s: no 'acl ID' line: no network ACL in the file",
			   name);
	if (ret)
		acl_set_free(set);
	return ret;
}

/* ---- JSON (aws ec2 describe-network-acls) ---- */

static int port_field(const char *where, const char *field, json_t *v,
		      char *err, size_t len)
{
	if (!json_is_integer(v))
		return fail(err, len, "%s: PortRange.%s: not a number", where,
			    field);
	if (json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return fail(err, len,
			    "%s: PortRange.%s: %lld is not a port (0-65535)",
			    where, field, (long long)json_integer_value(v));
	return 0;
}

static int json_entry(const char *name, size_t ai, const char *aid, size_t ei,
		      json_t *j, struct acl *a, char *err, size_t len)
{
	json_t *rn = json_object_get(j, "RuleNumber"),
	       *proto = json_object_get(j, "Protocol");
	json_t *act = json_object_get(j, "RuleAction"),
	       *eg = json_object_get(j, "Egress");
	json_t *v4 = json_object_get(j, "CidrBlock"),
	       *v6 = json_object_get(j, "Ipv6CidrBlock");
	json_t *pr = json_object_get(j, "PortRange");
	char where[192], pbuf[32];
	const char *ps, *cs;
	struct acl_entry e;
	json_int_t rule;
	int ret;

	memset(&e, 0, sizeof(e));
	if (!json_is_object(j))
		return fail(err, len,
			    "%s: NetworkAcls[%zu] (%s) Entries[%zu]: not an object",
			    name, ai, aid, ei);
	rule = json_is_integer(rn) ? json_integer_value(rn) : -1;
	if (json_is_boolean(eg))
		e.dir = json_is_true(eg) ? ACL_OUTBOUND : ACL_INBOUND;
	snprintf(where, sizeof(where), "%s: NetworkAcls[%zu] (%s) Entries[%zu]",
		 name, ai, aid, ei);
	if (json_is_integer(rn) && json_is_boolean(eg))
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
			 " (rule %lld, %s)", (long long)rule,
			 json_is_true(eg) ? "egress" : "ingress");

	if (!rn)
		return fail(err, len, "%s: RuleNumber: missing", where);
	if (!json_is_integer(rn) || rule < 1 || rule > ACL_RULE_DEFAULT_V6)
		return fail(err, len, "%s: RuleNumber: not a rule number (1-%d)",
			    where, ACL_RULE_MAX);
	if (!eg)
		return fail(err, len, "%s: Egress: missing", where);
	if (!json_is_boolean(eg))
		return fail(err, len, "%s: Egress: not true or false", where);
	if (!act)
		return fail(err, len, "%s: RuleAction: missing", where);
	if (!json_is_string(act) || (strcmp(json_string_value(act), "allow") &&
				     strcmp(json_string_value(act), "deny")))
		return fail(err, len,
			    "%s: RuleAction: expected \"allow\" or \"deny\"",
			    where);
	e.allow = !strcmp(json_string_value(act), "allow");
	if (!proto)
		return fail(err, len, "%s: Protocol: missing", where);
	/* AWS prints the number as a string ("17", "-1"); take a bare
	 * number or a name too. */
	if (json_is_integer(proto)) {
		snprintf(pbuf, sizeof(pbuf), "%lld",
			 (long long)json_integer_value(proto));
		ps = pbuf;
	} else {
		ps = json_string_value(proto);
	}
	if (!ps || acl_proto_parse(ps, &e.proto))
		return fail(err, len,
			    "%s: Protocol: unknown protocol '%s' (-1, 0-255, or a name)",
			    where, ps ? ps : "(not a string)");
	if (v4 && v6)
		return fail(err, len,
			    "%s: CidrBlock and Ipv6CidrBlock both given", where);
	if (!v4 && !v6)
		return fail(err, len,
			    "%s: CidrBlock: missing (or Ipv6CidrBlock)", where);
	cs = json_string_value(v4 ? v4 : v6);
	if (!cs || acl_cidr_parse(cs, false, &e.cidr) ||
	    e.cidr.family != (v4 ? AF_INET : AF_INET6))
		return fail(err, len,
			    "%s: %s: '%s' is not an %s CIDR block (no host bits)",
			    where, v4 ? "CidrBlock" : "Ipv6CidrBlock",
			    cs ? cs : "(not a string)", v4 ? "IPv4" : "IPv6");

	/* The final `*` entries AWS exports (32767, and 32768 for IPv6):
	 * they are the implicit deny every ACL ends with. */
	if (rule > ACL_RULE_MAX) {
		if (e.allow || e.proto != ACL_PROTO_ALL)
			return fail(err, len,
				    "%s: RuleNumber: %lld is the default deny, but this entry is not 'deny all'",
				    where, (long long)rule);
		return 0;
	}
	e.rule = rule;
	e.port_from = 0;
	e.port_to = 65535;
	if (e.proto == ACL_PROTO_TCP || e.proto == ACL_PROTO_UDP) {
		json_t *from = json_object_get(pr, "From"),
		       *to = json_object_get(pr, "To");

		if (!pr)
			return fail(err, len,
				    "%s: PortRange: missing (needed for TCP and UDP)",
				    where);
		if (!json_is_object(pr))
			return fail(err, len, "%s: PortRange: not an object",
				    where);
		if (!from || !to)
			return fail(err, len, "%s: PortRange.%s: missing",
				    where, from ? "To" : "From");
		if ((ret = port_field(where, "From", from, err, len)) ||
		    (ret = port_field(where, "To", to, err, len)))
			return ret;
		if (json_integer_value(from) > json_integer_value(to))
			return fail(err, len,
				    "%s: PortRange: From %lld is above To %lld",
				    where, (long long)json_integer_value(from),
				    (long long)json_integer_value(to));
		e.port_from = json_integer_value(from);
		e.port_to = json_integer_value(to);
	}
	ret = acl_add(a, &e);
	if (ret == -EEXIST)
		return fail(err, len,
			    "%s: RuleNumber: %lld used twice in the %s entries",
			    where, (long long)rule,
			    json_is_true(eg) ? "egress" : "ingress");
	return ret ? fail(err, len, "%s: out of memory", name) : 0;
}

static int json_acl(const char *name, size_t ai, json_t *j, struct acl_set *set,
		    char *err, size_t len)
{
	json_t *id = json_object_get(j, "NetworkAclId"), *entries, *assoc, *v;
	const char *ids;
	struct acl *a;
	size_t i;
	int ret;

	if (!json_is_object(j))
		return fail(err, len, "%s: NetworkAcls[%zu]: not an object",
			    name, ai);
	if (!id)
		return fail(err, len,
			    "%s: NetworkAcls[%zu]: NetworkAclId: missing", name,
			    ai);
	ids = json_string_value(id);
	if (!ids || !valid_id(ids))
		return fail(err, len,
			    "%s: NetworkAcls[%zu]: NetworkAclId: not an id",
			    name, ai);
	if (set_has(set, ids))
		return fail(err, len,
			    "%s: NetworkAcls[%zu] (%s): NetworkAclId: listed twice",
			    name, ai, ids);
	entries = json_object_get(j, "Entries");
	if (!entries)
		return fail(err, len,
			    "%s: NetworkAcls[%zu] (%s): Entries: missing", name,
			    ai, ids);
	if (!json_is_array(entries))
		return fail(err, len,
			    "%s: NetworkAcls[%zu] (%s): Entries: not an array",
			    name, ai, ids);
	a = set_new_acl(set, ids);
	if (!a)
		return fail(err, len, "%s: out of memory", name);
	assoc = json_object_get(j, "Associations");
	if (assoc && !json_is_array(assoc))
		return fail(err, len,
			    "%s: NetworkAcls[%zu] (%s): Associations: not an array",
			    name, ai, ids);
	json_array_foreach(assoc, i, v)
	{
		const char *sn =
			json_string_value(json_object_get(v, "SubnetId"));

		if (!sn || !valid_id(sn))
			return fail(err, len,
				    "%s: NetworkAcls[%zu] (%s) Associations[%zu]: SubnetId: missing or not an id",
				    name, ai, ids, i);
		if (a->n_subnets < ACL_MAX_SUBNETS)
			snprintf(a->subnets[a->n_subnets++], ACL_ID_LEN, "%s",
				 sn);
	}
	json_array_foreach(entries, i, v)
	{
		ret = json_entry(name, ai, ids, i, v, a, err, len);
		if (ret)
			return ret;
	}
	return 0;
}

int acl_load_json(const char *name, const char *text, struct acl_set *set,
		  char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *acls, *v;
	size_t i;
	int ret = 0;

	memset(set, 0, sizeof(*set));
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(err, errlen, "%s:%d:%d: bad JSON: %s", name,
			    jerr.line, jerr.column, jerr.text);
	acls = json_object_get(root, "NetworkAcls");
	if (!json_is_object(root) || !acls)
		ret = fail(err, errlen,
			   "%s: NetworkAcls: missing (expected the output of 'aws ec2 describe-network-acls')",
			   name);
	else if (!json_is_array(acls))
		ret = fail(err, errlen, "%s: NetworkAcls: not an array", name);
	else if (!json_array_size(acls))
		ret = fail(err, errlen, "%s: NetworkAcls: empty", name);
	json_array_foreach(ret ? NULL : acls, i, v)
	{
		ret = json_acl(name, i, v, set, err, errlen);
		if (ret)
			break;
	}
	json_decref(root);
	if (ret)
		acl_set_free(set);
	return ret;
}

int acl_load_file(const char *path, struct acl_set *set, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0, got;
	const char *p;
	FILE *f;
	int ret;

	memset(set, 0, sizeof(*set));
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		return ret;
	}
	buf = malloc(MAX_FILE_BYTES + 1);
	if (!buf) {
		fclose(f);
		return fail(err, errlen, "%s: out of memory", path);
	}
	while ((got = fread(buf + n, 1, MAX_FILE_BYTES + 1 - n, f)) > 0)
		n += got;
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (ret || n > MAX_FILE_BYTES) {
		free(buf);
		return fail(err, errlen, "%s: %s", path,
			    ret ? "read error" : "larger than 16 MiB");
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		free(buf);
		return fail(err, errlen,
			    "%s: binary data, not JSON or the text form", path);
	}
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	ret = *p == '{' || *p == '['
		      ? acl_load_json(path, buf, set, err, errlen)
		      : acl_load_text(path, buf, set, err, errlen);
	free(buf);
	return ret;
}

void acl_write_text(FILE *out, const struct acl *a, int role)
{
	char proto[16], ports[16], cidr[64];
	size_t i;
	int j;

	fprintf(out, "acl %s%s%s\n", a->id, role < 0 ? "" : " ",
		role < 0 ? "" : acl_subnet_name(role));
	for (j = 0; j < a->n_subnets; j++)
		fprintf(out, "subnet %s\n", a->subnets[j]);
	for (i = 0; i < a->n; i++) {
		const struct acl_entry *e = &a->entries[i];

		acl_proto_name(e->proto, proto, sizeof(proto));
		acl_cidr_format(&e->cidr, cidr, sizeof(cidr));
		/* The text form wants a block, also for one address. */
		if (!strchr(cidr, '/'))
			snprintf(cidr + strlen(cidr),
				 sizeof(cidr) - strlen(cidr), "/%u", e->cidr.len);
		if (e->proto == ACL_PROTO_TCP || e->proto == ACL_PROTO_UDP) {
			acl_ports_format(e->port_from, e->port_to, ports,
					 sizeof(ports));
			fprintf(out, "%-8s %5u %-5s %-4s %-10s %s\n",
				acl_dir_name(e->dir), e->rule,
				e->allow ? "allow" : "deny", proto, ports, cidr);
		} else {
			fprintf(out, "%-8s %5u %-5s %-4s %s\n",
				acl_dir_name(e->dir), e->rule,
				e->allow ? "allow" : "deny", proto, cidr);
		}
	}
}
