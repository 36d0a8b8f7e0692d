/* Unit tests of the webhook helpers: Standard Webhooks signatures (against a vector computed with Python's hmac),
 * secrets sealed under the daemon's key, the addresses a delivery may reach, endpoint URL checks, the retry
 * schedule. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "netaddr.h"
#include "webhook_sign.h"

static void test_sign(void) {
  unsigned char key[WEBHOOK_SECRET_BYTES];
  for (int i = 0; i < WEBHOOK_SECRET_BYTES; i++)
    key[i] = (unsigned char)i;
  char text[WEBHOOK_SECRET_TEXT_LEN];
  webhook_secret_text(key, text);
  CHECK(strcmp(text, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") == 0);
  const char *body = "{\"type\":\"session.planned\"}";
  char sig[WEBHOOK_SIGNATURE_LEN];
  /* python3: base64(hmac.new(bytes(range(32)), b'msg_1.1700000000.' + body, sha256).digest()) */
  webhook_sign(key, "msg_1", 1700000000LL, body, strlen(body), sig);
  CHECK(strcmp(sig, "v1,f5hRpnwWl/ty9hQPaxlAbzdci80X4yHWei9LqplpHuo=") == 0);
  webhook_sign(key, "msg_1", 1700000001LL, body, strlen(body), sig);
  CHECK(strcmp(sig, "v1,f5hRpnwWl/ty9hQPaxlAbzdci80X4yHWei9LqplpHuo=") != 0); /* the timestamp is signed */
}

static void test_seal(void) {
  unsigned char key[WEBHOOK_KEY_BYTES], other[WEBHOOK_KEY_BYTES], raw[WEBHOOK_SECRET_BYTES],
      back[WEBHOOK_SECRET_BYTES], box[WEBHOOK_BOX_BYTES], box2[WEBHOOK_BOX_BYTES];
  char text[WEBHOOK_SECRET_TEXT_LEN];
  randombytes_buf(key, sizeof key);
  randombytes_buf(other, sizeof other);
  webhook_secret_new(raw, text);
  CHECK(strncmp(text, "whsec_", 6) == 0 && strlen(text) == 50);
  webhook_secret_seal(key, raw, box);
  webhook_secret_seal(key, raw, box2);
  CHECK(memcmp(box, box2, sizeof box) != 0); /* a fresh nonce each time */
  CHECK(memmem(box, sizeof box, raw, sizeof raw) == NULL);
  CHECK(webhook_secret_open(key, box, sizeof box, back) && memcmp(raw, back, sizeof raw) == 0);
  CHECK(!webhook_secret_open(other, box, sizeof box, back));
  box[30] ^= 1;
  CHECK(!webhook_secret_open(key, box, sizeof box, back));
  CHECK(!webhook_secret_open(key, box2, sizeof box2 - 1, back));
}

static void test_key_file(void) {
  char dir[] = "/tmp/cd-webhook-key-XXXXXX", path[64], why[300];
  unsigned char key[WEBHOOK_KEY_BYTES];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/key", dir);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f == NULL)
    return;
  fputs("  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", f);
  fclose(f);
  CHECK(chmod(path, 0600) == 0);
  CHECK(webhook_key_load(path, key, why, sizeof why) && key[0] == 0 && key[31] == 0x1f);
  CHECK(chmod(path, 0644) == 0);
  CHECK(!webhook_key_load(path, key, why, sizeof why) && strstr(why, "readable") != NULL);
  f = fopen(path, "w");
  if (f != NULL) {
    fputs("not hex\n", f);
    fclose(f);
  }
  CHECK(chmod(path, 0600) == 0);
  CHECK(!webhook_key_load(path, key, why, sizeof why) && strstr(why, "64 hexadecimal") != NULL);
  unlink(path);
  CHECK(!webhook_key_load(path, key, why, sizeof why));
  rmdir(dir);
}

static bool public4(const char *text) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  CHECK(inet_pton(AF_INET, text, &a.sin_addr) == 1);
  return address_is_public((struct sockaddr *)&a);
}

static bool public6(const char *text) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6};
  CHECK(inet_pton(AF_INET6, text, &a.sin6_addr) == 1);
  return address_is_public((struct sockaddr *)&a);
}

static void test_addresses(void) {
  const char *private4[] = {"127.0.0.1", "127.255.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                            "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1"};
  for (size_t i = 0; i < sizeof private4 / sizeof *private4; i++)
    CHECK(!public4(private4[i]));
  CHECK(public4("93.184.216.34") && public4("172.32.0.1") && public4("8.8.8.8") && public4("100.128.0.1"));
  const char *private6[] = {"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
                            "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "2001:db8::1"};
  for (size_t i = 0; i < sizeof private6 / sizeof *private6; i++)
    CHECK(!public6(private6[i]));
  CHECK(public6("2a00:1450:4007:80e::200e") && public6("::ffff:93.184.216.34"));
}

static void test_urls(void) {
  char why[200];
  CHECK(webhook_url_check("https://hooks.example.org/commission?x=1", false, false, why, sizeof why));
  CHECK(webhook_url_check("https://hooks.example.org:8443/x", false, false, why, sizeof why));
  CHECK(webhook_url_check("https://[2a00:1450::1]/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("http://hooks.example.org/x", false, false, why, sizeof why));
  CHECK(webhook_url_check("http://hooks.example.org/x", true, false, why, sizeof why));
  CHECK(!webhook_url_check("https://127.0.0.1/x", false, false, why, sizeof why) && strstr(why, "private"));
  CHECK(webhook_url_check("https://127.0.0.1/x", false, true, why, sizeof why));
  CHECK(!webhook_url_check("https://[::1]:8080/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://LocalHost/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://a.localhost/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://user:pw@hooks.example.org/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks.example.org:0/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks.example.org:65536/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks.example.org:80a/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https:///x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks.example.org/x#frag", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks.example.org/a b", false, false, why, sizeof why));
  CHECK(!webhook_url_check("https://hooks_example.org/x", false, false, why, sizeof why));
  CHECK(!webhook_url_check("ftp://hooks.example.org/x", true, true, why, sizeof why));
  CHECK(!webhook_url_check("https://[::1/x", false, true, why, sizeof why));
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  test_sign();
  test_seal();
  test_key_file();
  test_addresses();
  test_urls();
  return check_exit();
}
