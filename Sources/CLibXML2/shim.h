// libxml2 without its ICU include (the system ICU headers clash with Foundation's copy; no
// encoding-handler struct is used from Swift, so nothing depends on the fields it adds).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>

// xmlFree is a global function pointer; Swift 6 wants a function.
static inline void skel_xml_free(void *p) { xmlFree(p); }
