/* The lab's examples/minimal-driver.ts as a Linux 2.6.24 driver (docs/c-companion.md walks through it).
 * Kconfig:  config MINIMAL_NIC / tristate "mq-style NIC" / depends on PCI / select INET_LRO */
#include "lab-kernel.h"

#define RX_DESC_DD   0x01          /* status: descriptor done (the device wrote it back)       */
#define RX_DESC_VP   0x08          /* status: VLAN tag stripped into the descriptor            */
#define RX_DESC_L4CS 0x20          /* status: TCP/UDP checksum checked ...                     */
#define RX_DESC_IPCS 0x40          /* status: IPv4 header checksum checked ...                 */
#define RX_ERR_IPE   0x01          /* errors: ... and the IPv4 one was bad                     */
#define RX_ERR_L4E   0x02          /* errors: ... and the TCP/UDP one was bad                  */
#define RX_BUF_LEN   2048
#define MAX_LRO_DESC 8

static int use_lro = 1;            /* the off switch: modprobe minimal use_lro=0 */
module_param(use_lro, int, 0);
MODULE_PARM_DESC(use_lro, "Large receive offload, 1: on (default), 0: off");
static int lro_max_aggr = 64;
module_param(lro_max_aggr, int, 0);
MODULE_PARM_DESC(lro_max_aggr, "LRO: most packets in one aggregate (default 64)");

union mq_rx_desc {                 /* 16 bytes, little-endian; the device overwrites read with wb */
	struct { __le64 pkt_addr; __le64 hdr_addr; } read;
	struct { __le32 rss_hash; __le16 hdr_info; __le16 pkt_info;
		 __le16 status; __le16 errors; __le16 length; __le16 vlan; } wb;
};

struct min_rx_ring {
	struct net_device *netdev;
	struct pci_dev *pdev;
	union mq_rx_desc *desc;            /* the ring in DMA memory */
	struct sk_buff **buffer_info;      /* slot -> skb whose buffer is posted there */
	dma_addr_t *dma;                   /* slot -> its bus address */
	unsigned int count, next_to_clean, next_to_use, alloc_rx_buff_failed;
	void *tail_reg;                    /* RDT doorbell */
	void *ims_reg;                     /* interrupt mask set: writing our bit re-arms the queue */
	u32 irq_bit;
	struct napi_struct napi;
	struct vlan_group *vgrp;           /* from vlan_rx_register */
	struct net_lro_mgr lro_mgr;
	struct net_lro_desc lro_arr[MAX_LRO_DESC];
};

/* get_skb_header: IPv4 + TCP, IP header at skb->data (after eth_type_trans). */
static int min_get_skb_header(struct sk_buff *skb, void **iphdr, void **tcph, u64 *hdr_flags, void *priv)
{
	struct iphdr *iph = ip_hdr(skb);
	(void)priv;
	if (skb->protocol != htons(ETH_P_IP) || iph->protocol != IPPROTO_TCP)
		return -1;
	*iphdr = iph;
	*tcph = (u8 *)iph + (iph->ihl_version & 0x0f) * 4;
	*hdr_flags = LRO_IPV4 | LRO_TCP;
	return 0;
}

/* Post a fresh buffer in every empty slot (one always stays empty), then write RDT once. */
static void min_alloc_rx_buffers(struct min_rx_ring *r)
{
	while ((r->next_to_use + 1) % r->count != r->next_to_clean) {
		unsigned int i = r->next_to_use;
		struct sk_buff *skb = netdev_alloc_skb(r->netdev, RX_BUF_LEN + NET_IP_ALIGN);
		if (!skb) { r->alloc_rx_buff_failed++; break; }            /* retried at the next poll */
		skb_reserve(skb, NET_IP_ALIGN);
		r->buffer_info[i] = skb;
		r->dma[i] = pci_map_single(r->pdev, skb->data, RX_BUF_LEN, PCI_DMA_FROMDEVICE);
		r->desc[i].read.pkt_addr = cpu_to_le64(r->dma[i]);
		r->desc[i].read.hdr_addr = 0;                      /* no header split */
		r->next_to_use = (i + 1) % r->count;
	}
	wmb();                                                     /* descriptors before the doorbell */
	writel(r->next_to_use, r->tail_reg);
}

/* The NAPI poll: completions -> skbs -> LRO (or the stack), flush, refill, re-arm the interrupt. */
static int min_poll(struct napi_struct *napi, int budget)
{
	struct min_rx_ring *r = (struct min_rx_ring *)((char *)napi - offsetof(struct min_rx_ring, napi));
	int done = 0;
	for (; done < budget; done++) {
		union mq_rx_desc *d = &r->desc[r->next_to_clean];
		u16 status = le16_to_cpu(d->wb.status), errors = le16_to_cpu(d->wb.errors);
		struct sk_buff *skb = r->buffer_info[r->next_to_clean];
		int ok;
		if (!(status & RX_DESC_DD))
			break;                                     /* not written back yet: drained */
		rmb();                                             /* read the rest only after DD */
		pci_unmap_single(r->pdev, r->dma[r->next_to_clean], RX_BUF_LEN, PCI_DMA_FROMDEVICE);
		d->wb.status = 0;                                  /* cleaned: no stale DD a lap later */
		r->buffer_info[r->next_to_clean] = NULL;
		r->next_to_clean = (r->next_to_clean + 1) % r->count;
		skb_put(skb, le16_to_cpu(d->wb.length));
		ok = (status & (RX_DESC_L4CS | RX_DESC_IPCS)) == (RX_DESC_L4CS | RX_DESC_IPCS)
			&& !(errors & (RX_ERR_IPE | RX_ERR_L4E));
		skb->ip_summed = ok ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
		skb->protocol = eth_type_trans(skb, r->netdev);    /* skb->data -> IP header */
		if (use_lro && ok) {                               /* LRO sees hardware-verified frames only */
			if ((status & RX_DESC_VP) && r->vgrp)
				lro_vlan_hwaccel_receive_skb(&r->lro_mgr, skb, r->vgrp, le16_to_cpu(d->wb.vlan), NULL);
			else
				lro_receive_skb(&r->lro_mgr, skb, NULL);
		} else if ((status & RX_DESC_VP) && r->vgrp)
			vlan_hwaccel_receive_skb(skb, r->vgrp, le16_to_cpu(d->wb.vlan));
		else
			netif_receive_skb(skb);
	}
	lro_flush_all(&r->lro_mgr);                                /* nothing stays held past the poll */
	min_alloc_rx_buffers(r);
	if (done < budget) {                                       /* drained: leave polling, re-arm */
		netif_rx_complete(r->netdev, napi);
		writel(r->irq_bit, r->ims_reg);
	}
	return done;
}

/* The interrupt: mask it (the line masks itself here) and schedule the poll. */
static irqreturn_t min_intr(int irq, void *data)
{
	struct min_rx_ring *r = data;
	(void)irq;
	if (netif_rx_schedule_prep(r->netdev, &r->napi))
		__netif_rx_schedule(r->netdev, &r->napi);
	return IRQ_HANDLED;
}

/* open: the LRO manager, NAPI, buffers in every slot. */
static void min_open_ring(struct min_rx_ring *r, int weight)
{
	r->lro_mgr.dev = r->netdev;
	r->lro_mgr.features = LRO_F_NAPI;                          /* delivered by netif_receive_skb */
	r->lro_mgr.ip_summed = CHECKSUM_UNNECESSARY;
	r->lro_mgr.ip_summed_aggr = CHECKSUM_UNNECESSARY;
	r->lro_mgr.max_desc = MAX_LRO_DESC;
	r->lro_mgr.max_aggr = lro_max_aggr;
	r->lro_mgr.lro_arr = r->lro_arr;
	r->lro_mgr.get_skb_header = min_get_skb_header;
	netif_napi_add(r->netdev, &r->napi, min_poll, weight);
	min_alloc_rx_buffers(r);
	(void)min_intr;
}
