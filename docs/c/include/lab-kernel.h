/*
 * lab-kernel.h: just enough of the Linux 2.6.24 (and, for GRO, 2.6.29+) driver API for
 * `gcc -fsyntax-only` to check the C in docs/c-companion.md. Written by the vnic-lab project from the
 * kernel's documented behaviour: declarations only, nothing here runs. Field lists are cut to what
 * the companion's driver touches; the real structures have more.
 */
#ifndef LAB_KERNEL_H
#define LAB_KERNEL_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;
typedef uint64_t dma_addr_t;
typedef unsigned int gfp_t;
typedef int irqreturn_t;

#define IRQ_HANDLED 1
#define GFP_ATOMIC 0x20u
#define NET_IP_ALIGN 2
#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define le16_to_cpu(x) ((u16)(x))
#define cpu_to_le64(x) ((u64)(x))
#define unlikely(x) (x)
#define likely(x) (x)
#define wmb() do { } while (0)
#define rmb() do { } while (0)

/* ---- skbs and devices ------------------------------------------------------------------------ */
struct net_device {
	char name[16];
	unsigned long features;
	unsigned int mtu;
};

struct sk_buff {
	struct net_device *dev;
	unsigned char *data;
	unsigned int len;
	u8 ip_summed;
	u16 protocol;
	u16 queue_mapping;
};

struct iphdr { u8 ihl_version; u8 tos; u16 tot_len; u16 id; u16 frag_off; u8 ttl; u8 protocol; u16 check; u32 saddr; u32 daddr; };

struct sk_buff *netdev_alloc_skb(struct net_device *dev, unsigned int length);
void dev_kfree_skb_any(struct sk_buff *skb);
void skb_reserve(struct sk_buff *skb, int len);
unsigned char *skb_put(struct sk_buff *skb, unsigned int len);
u16 eth_type_trans(struct sk_buff *skb, struct net_device *dev);
struct iphdr *ip_hdr(const struct sk_buff *skb);
void *netdev_priv(const struct net_device *dev);
int netif_receive_skb(struct sk_buff *skb);
#define ETH_P_IP 0x0800
#define IPPROTO_TCP 6
u16 htons(u16 x);

/* ---- DMA and registers ----------------------------------------------------------------------- */
struct pci_dev;
dma_addr_t pci_map_single(struct pci_dev *pdev, void *ptr, size_t size, int direction);
void pci_unmap_single(struct pci_dev *pdev, dma_addr_t addr, size_t size, int direction);
#define PCI_DMA_FROMDEVICE 2
void writel(u32 value, volatile void *addr);

/* ---- VLAN acceleration (2.6.24: the driver keeps the vlan_group it was given) ----------------- */
struct vlan_group;
int vlan_hwaccel_receive_skb(struct sk_buff *skb, struct vlan_group *grp, u16 vlan_tci);

/* ---- NAPI, 2.6.24 form: the poll gets (napi, budget); completion names the device ------------- */
struct napi_struct {
	int weight;
	int (*poll)(struct napi_struct *napi, int budget);
};
void netif_napi_add(struct net_device *dev, struct napi_struct *napi,
		    int (*poll)(struct napi_struct *, int), int weight);
int netif_rx_schedule_prep(struct net_device *dev, struct napi_struct *napi);
void __netif_rx_schedule(struct net_device *dev, struct napi_struct *napi);
void netif_rx_complete(struct net_device *dev, struct napi_struct *napi);

/* ---- inet_lro (include/linux/inet_lro.h in 2.6.24) -------------------------------------------- */
#define LRO_IPV4 1
#define LRO_TCP 2
#define LRO_F_NAPI 1
#define LRO_F_EXTRACT_VLAN_ID 2

struct net_lro_stats { unsigned long aggregated; unsigned long flushed; unsigned long no_desc; };
struct net_lro_desc { int active; };          /* opaque to a driver: it only provides the array */

struct net_lro_mgr {
	struct net_device *dev;
	struct net_lro_stats stats;
	unsigned long features;
	u32 ip_summed;
	u32 ip_summed_aggr;
	int max_desc;
	int max_aggr;
	int frag_align_pad;
	struct net_lro_desc *lro_arr;
	int (*get_skb_header)(struct sk_buff *skb, void **ip_hdr, void **tcpudp_hdr, u64 *hdr_flags, void *priv);
};

void lro_receive_skb(struct net_lro_mgr *lro_mgr, struct sk_buff *skb, void *priv);
void lro_vlan_hwaccel_receive_skb(struct net_lro_mgr *lro_mgr, struct sk_buff *skb,
				  struct vlan_group *vgrp, u16 vlan_tag, void *priv);
void lro_flush_all(struct net_lro_mgr *lro_mgr);

/* ---- GRO (2.6.29 on): the engine lives in the napi_struct; napi_complete flushes it ------------- */
int napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb);
int vlan_gro_receive(struct napi_struct *napi, struct vlan_group *grp, u16 vlan_tci, struct sk_buff *skb);
void napi_complete(struct napi_struct *napi);

/* ---- module parameters ----------------------------------------------------------------------- */
#define module_param(name, type, perm) static const void *__param_##name __attribute__((unused)) = &(name)
#define MODULE_PARM_DESC(name, text) static const char __parm_desc_##name[] __attribute__((unused)) = text

#endif
