// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The portable build (make dist, docs/portable.md) links GnuTLS statically
 * for libmicrohttpd (the agent's --tls-cert). Debian's GnuTLS is built with
 * p11-kit, for PKCS#11 tokens and smart cards, and Debian ships no static
 * p11-kit. flowverify never uses a token: the agent hands libmicrohttpd its
 * PEM certificate and key in memory. These stand in for p11-kit as GnuTLS
 * built without it would behave: no PKCS#11 module loads, no PKCS#11 URI
 * parses, so anything "pkcs11:" fails with GnuTLS's own error. GnuTLS
 * loads modules only when a PKCS#11 function is first used, never in
 * gnutls_global_init. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pin.h>
#include <p11-kit/uri.h>

static const char no_pkcs11[] = "PKCS#11 is not in the flowverify portable build";

const char *p11_kit_message(void)
{
	return no_pkcs11;
}

const char *p11_kit_strerror(CK_RV rv)
{
	return no_pkcs11;
}

CK_FUNCTION_LIST **p11_kit_modules_load(const char *reserved, int flags)
{
	return NULL;
}

CK_FUNCTION_LIST *p11_kit_module_load(const char *module_path, int flags)
{
	return NULL;
}

CK_RV p11_kit_module_finalize(CK_FUNCTION_LIST *module)
{
	return CKR_GENERAL_ERROR;
}

void p11_kit_module_release(CK_FUNCTION_LIST *module)
{
}

int p11_kit_module_get_flags(CK_FUNCTION_LIST *module)
{
	return 0;
}

char *p11_kit_module_get_name(CK_FUNCTION_LIST *module)
{
	return NULL;
}

char *p11_kit_config_option(CK_FUNCTION_LIST *module, const char *option)
{
	return NULL;
}

/* The two helpers that are not about modules, done as p11-kit does them:
 * PKCS#11 pads its fixed-size strings with spaces. */
size_t p11_kit_space_strlen(const unsigned char *string, size_t max_length)
{
	size_t i = max_length;

	while (i > 0 && string[i - 1] == ' ')
		i--;
	return i;
}

char *p11_kit_space_strdup(const unsigned char *string, size_t max_length)
{
	size_t len = p11_kit_space_strlen(string, max_length);
	char *s = malloc(len + 1);

	if (!s)
		return NULL;
	memcpy(s, string, len);
	s[len] = '\0';
	return s;
}

/* No URI object is ever made, so none of the others ever gets one. */
P11KitUri *p11_kit_uri_new(void)
{
	return NULL;
}

void p11_kit_uri_free(P11KitUri *uri)
{
}

int p11_kit_uri_parse(const char *string, P11KitUriType uri_type, P11KitUri *uri)
{
	return P11_KIT_URI_UNEXPECTED;
}

int p11_kit_uri_format(P11KitUri *uri, P11KitUriType uri_type, char **string)
{
	return P11_KIT_URI_UNEXPECTED;
}

CK_ATTRIBUTE_PTR p11_kit_uri_get_attribute(P11KitUri *uri,
					   CK_ATTRIBUTE_TYPE attr_type)
{
	return NULL;
}

CK_ATTRIBUTE_PTR p11_kit_uri_get_attributes(P11KitUri *uri, CK_ULONG *n_attrs)
{
	if (n_attrs)
		*n_attrs = 0;
	return NULL;
}

int p11_kit_uri_set_attribute(P11KitUri *uri, CK_ATTRIBUTE_PTR attr)
{
	return P11_KIT_URI_UNEXPECTED;
}

CK_INFO_PTR p11_kit_uri_get_module_info(P11KitUri *uri)
{
	return NULL;
}

CK_TOKEN_INFO_PTR p11_kit_uri_get_token_info(P11KitUri *uri)
{
	return NULL;
}

int p11_kit_uri_match_module_info(const P11KitUri *uri, const CK_INFO *info)
{
	return 0;
}

int p11_kit_uri_match_token_info(const P11KitUri *uri,
				 const CK_TOKEN_INFO *token_info)
{
	return 0;
}

const char *p11_kit_uri_get_pin_source(const P11KitUri *uri)
{
	return NULL;
}

const char *p11_kit_uri_get_pin_value(const P11KitUri *uri)
{
	return NULL;
}

P11KitPin *p11_kit_pin_new_for_string(const char *value)
{
	return NULL;
}

const unsigned char *p11_kit_pin_get_value(P11KitPin *pin, size_t *length)
{
	if (length)
		*length = 0;
	return NULL;
}

size_t p11_kit_pin_get_length(P11KitPin *pin)
{
	return 0;
}

void p11_kit_pin_unref(P11KitPin *pin)
{
}

P11KitPin *p11_kit_pin_request(const char *pin_source, P11KitUri *pin_uri,
			       const char *pin_description,
			       P11KitPinFlags pin_flags)
{
	return NULL;
}

P11KitPin *p11_kit_pin_file_callback(const char *pin_source, P11KitUri *pin_uri,
				     const char *pin_description,
				     P11KitPinFlags pin_flags,
				     void *callback_data)
{
	return NULL;
}

int p11_kit_pin_register_callback(const char *pin_source,
				  p11_kit_pin_callback callback,
				  void *callback_data,
				  p11_kit_pin_destroy_func callback_destroy)
{
	return -1;
}

void p11_kit_pin_unregister_callback(const char *pin_source,
				     p11_kit_pin_callback callback,
				     void *callback_data)
{
}
