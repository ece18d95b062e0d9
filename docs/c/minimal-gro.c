/* docs/c/minimal-lro.c moved to GRO (2.6.29 on): no inet_lro, no get_skb_header, no lro_flush_all.
 * Kconfig: no "select INET_LRO" (GRO is part of the core); the off switch is ethtool -K eth0 gro off. */
#include "lab-kernel.h"

#define RX_DESC_DD   0x01          /* status: descriptor done (the device wrote it back)       */
#define RX_DESC_VP   0x08          /* status: VLAN tag stripped into the descriptor            */
#define RX_DESC_L4CS 0x20          /* status: TCP/UDP checksum checked ...                     */
#define RX_DESC_IPCS 0x40          /* status: IPv4 header checksum checked ...                 */
#define RX_ERR_IPE   0x01          /* errors: ... and the IPv4 one was bad                     */
#define RX_ERR_L4E   0x02          /* errors: ... and the TCP/UDP one was bad                  */
#define RX_BUF_LEN   2048

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
};

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

/* The NAPI poll, GRO form: every frame to napi_gro_receive; napi_complete flushes what GRO holds. */
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
			break;
		rmb();
		pci_unmap_single(r->pdev, r->dma[r->next_to_clean], RX_BUF_LEN, PCI_DMA_FROMDEVICE);
		d->wb.status = 0;
		r->buffer_info[r->next_to_clean] = NULL;
		r->next_to_clean = (r->next_to_clean + 1) % r->count;
		skb_put(skb, le16_to_cpu(d->wb.length));
		ok = (status & (RX_DESC_L4CS | RX_DESC_IPCS)) == (RX_DESC_L4CS | RX_DESC_IPCS)
			&& !(errors & (RX_ERR_IPE | RX_ERR_L4E));
		skb->ip_summed = ok ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;   /* GRO checks CHECKSUM_NONE itself */
		skb->protocol = eth_type_trans(skb, r->netdev);
		if ((status & RX_DESC_VP) && r->vgrp)
			vlan_gro_receive(napi, r->vgrp, le16_to_cpu(d->wb.vlan), skb);
		else
			napi_gro_receive(napi, skb);
	}
	min_alloc_rx_buffers(r);
	if (done < budget) {
		napi_complete(napi);                               /* flushes the GRO list, leaves polling */
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

/* open: NAPI (its GRO list comes with it), buffers in every slot. */
static void min_open_ring(struct min_rx_ring *r, int weight)
{
	netif_napi_add(r->netdev, &r->napi, min_poll, weight);
	min_alloc_rx_buffers(r);
	(void)min_intr;
}
